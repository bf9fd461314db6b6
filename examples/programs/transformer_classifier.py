"""A Transformer-encoder text classifier, as written in many public sentiment-analysis repos.

Embedding plus a sinusoidal ``PositionalEncoding`` buffer (the shape of pytorch/examples'
word_language_model), ``nn.TransformerEncoderLayer(batch_first=True)`` stacked by
``nn.TransformerEncoder``, a ``src_key_padding_mask`` for right-padded sequences, mean pooling
over the tokens that are not padding, a Linear head, ``CrossEntropyLoss``, Adam under a
warmup-then-linear-decay ``LambdaLR``, ``clip_grad_norm_``, and batches from a ``DataLoader``
over a map-style ``Dataset`` with a ``collate_fn`` that pads.

Run: ``python examples/programs/transformer_classifier.py`` (``EXAMPLE_FRAMEWORK=torch`` to run
it on PyTorch).
"""
import _framework  # noqa: F401  (EXAMPLE_FRAMEWORK=torch: PyTorch; otherwise disttrain)

import math

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset

PAD = 0


class PositionalEncoding(nn.Module):

    def __init__(self, d_model, dropout=0.1, max_len=64):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)

        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0)        # (1, max_len, d_model): batch first
        self.register_buffer('pe', pe)

    def forward(self, x):
        x = x + self.pe[:, :x.size(1), :]
        return self.dropout(x)


class TransformerClassifier(nn.Module):
    def __init__(self, vocab_size, d_model, nhead, dim_feedforward, num_layers, num_classes,
                 dropout=0.1):
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=PAD)
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                   batch_first=True)
        self.encoder = nn.TransformerEncoder(encoder_layer, num_layers,
                                             enable_nested_tensor=False)
        self.classifier = nn.Linear(d_model, num_classes)

    def forward(self, src, src_key_padding_mask):
        x = self.embedding(src) * math.sqrt(self.d_model)
        x = self.pos_encoder(x)
        x = self.encoder(x, src_key_padding_mask=src_key_padding_mask)
        # mean over the real tokens only
        keep = (~src_key_padding_mask).unsqueeze(-1).float()
        pooled = (x * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
        return self.classifier(pooled)


class ToyTextDataset(Dataset):
    """Sequences of 3..10 tokens; the label says whether the tokens' sum is even."""

    def __init__(self, n, vocab_size, seed):
        tokens = _framework.det_tokens(n * 10, vocab=vocab_size - 1, seed=seed) + 1
        self.samples = []
        for i in range(n):
            length = 3 + (i * 5) % 8
            seq = tokens[i * 10:i * 10 + length]
            self.samples.append((seq, int(seq.sum().item()) % 2))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, idx):
        return self.samples[idx]


def collate_batch(batch):
    lengths = [len(seq) for seq, _ in batch]
    src = torch.full((len(batch), max(lengths)), PAD, dtype=torch.long)
    for i, (seq, _) in enumerate(batch):
        src[i, :len(seq)] = seq
    labels = torch.tensor([label for _, label in batch])
    return src, src == PAD, labels


def main(epochs=2):
    vocab_size = 30
    train_loader = DataLoader(ToyTextDataset(24, vocab_size, seed=2), batch_size=8,
                              shuffle=False, collate_fn=collate_batch)
    test_loader = DataLoader(ToyTextDataset(8, vocab_size, seed=9), batch_size=8,
                             collate_fn=collate_batch)

    # dropout 0: the numbers must not depend on a random generator
    model = TransformerClassifier(vocab_size, d_model=16, nhead=4, dim_feedforward=32,
                                  num_layers=2, num_classes=2, dropout=0.0)
    _framework.fill_(model)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    # linear warmup then linear decay, as transformers' get_linear_schedule_with_warmup
    num_warmup_steps, num_training_steps = 2, epochs * len(train_loader)

    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step + 1) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step) /
                   float(max(1, num_training_steps - num_warmup_steps)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)

    losses = []
    step = 0
    for epoch in range(epochs):
        model.train()
        for src, pad_mask, labels in train_loader:
            optimizer.zero_grad()
            logits = model(src, pad_mask)
            loss = criterion(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            print(f"step {step} loss {loss.item():.6f} lr {scheduler.get_last_lr()[0]:.6f}")
            step += 1
    model.eval()
    with torch.no_grad():
        src, pad_mask, labels = next(iter(test_loader))
        logits = model(src, pad_mask)
        test_loss = criterion(logits, labels).item()
        correct = (logits.argmax(dim=1) == labels).sum().item()
    print(f"final test_loss {test_loss:.6f} correct {correct}/{len(labels)}")
    return {"losses": losses, "test_loss": test_loss, "logits": logits.tolist()}


if __name__ == "__main__":
    main()
