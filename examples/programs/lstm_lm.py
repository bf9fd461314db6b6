"""An LSTM language model in the shape of pytorch/examples' word_language_model.

``RNNModel`` (Embedding, a 2-layer ``nn.LSTM`` with dropout between layers, a Linear decoder),
``batchify``/``get_batch`` over a token stream, ``repackage_hidden`` detaching the hidden
state between batches (truncated backpropagation through time), the manual SGD update
``p.data.add_(p.grad, alpha=-lr)`` after ``clip_grad_norm_``, and an evaluation pass.

Run: ``python examples/programs/lstm_lm.py`` (``EXAMPLE_FRAMEWORK=torch`` to run it on PyTorch).
"""
import _framework  # noqa: F401  (EXAMPLE_FRAMEWORK=torch: PyTorch; otherwise disttrain)

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class RNNModel(nn.Module):
    """Container module with an encoder, a recurrent module, and a decoder."""

    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ['LSTM', 'GRU']:
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            try:
                nonlinearity = {'RNN_TANH': 'tanh', 'RNN_RELU': 'relu'}[rnn_type]
            except KeyError as e:
                raise ValueError("""An invalid option for `--model` was supplied,
                                 options are ['LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU']""") from e
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

        if tie_weights:
            if nhid != ninp:
                raise ValueError('When using the tied flag, nhid must be equal to emsize')
            self.decoder.weight = self.encoder.weight

        self.init_weights()

        self.rnn_type = rnn_type
        self.nhid = nhid
        self.nlayers = nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == 'LSTM':
            return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                    weight.new_zeros(self.nlayers, bsz, self.nhid))
        else:
            return weight.new_zeros(self.nlayers, bsz, self.nhid)


def batchify(data, bsz):
    # Work out how cleanly we can divide the dataset into bsz parts.
    nbatch = data.size(0) // bsz
    # Trim off any extra elements that wouldn't cleanly fit (remainders).
    data = data.narrow(0, 0, nbatch * bsz)
    # Evenly divide the data across the bsz batches.
    data = data.view(bsz, -1).t().contiguous()
    return data


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    else:
        return tuple(repackage_hidden(v) for v in h)


bptt = 8


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(model, criterion, data_source, eval_batch_size, ntokens):
    # Turn on evaluation mode which disables dropout.
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def main():
    ntokens, emsize, nhid, nlayers = 40, 16, 24, 2
    lr, clip, batch_size, eval_batch_size = 5.0, 0.25, 4, 2
    corpus_train = _framework.det_tokens(4 * 33, vocab=ntokens, seed=1)
    corpus_valid = _framework.det_tokens(2 * 17, vocab=ntokens, seed=5)
    train_data = batchify(corpus_train, batch_size)
    val_data = batchify(corpus_valid, eval_batch_size)

    # dropout 0: the numbers must not depend on a random generator
    model = RNNModel('LSTM', ntokens, emsize, nhid, nlayers, dropout=0.0)
    _framework.fill_(model, scale=1.0)
    criterion = nn.NLLLoss()

    losses = []
    for epoch in range(1, 3):
        # Turn on training mode which enables dropout.
        model.train()
        total_loss = 0.
        hidden = model.init_hidden(batch_size)
        for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
            data, targets = get_batch(train_data, i)
            # Starting each batch, we detach the hidden state from how it was previously produced.
            # If we didn't, the model would try backpropagating all the way to start of the dataset.
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output, targets)
            loss.backward()

            # `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)

            total_loss += loss.item()
            losses.append(loss.item())
            print(f"epoch {epoch} batch {batch} loss {loss.item():.6f}")
        val_loss = evaluate(model, criterion, val_data, eval_batch_size, ntokens)
        print(f"end of epoch {epoch} valid loss {val_loss:.6f} valid ppl {math.exp(val_loss):.6f}")
    print(f"final val_loss {val_loss:.6f}")
    return {"losses": losses, "val_loss": val_loss}


if __name__ == "__main__":
    main()
