"""An LSTM language model in the shape of pytorch/examples' word_language_model.

``RNNModel`` (Embedding, a 2-layer ``nn.LSTM`` with dropout between layers, a Linear decoder),
``batchify``/``get_batch`` over a token stream, ``repackage_hidden`` detaching the hidden
state between batches (truncated backpropagation through time), the manual SGD update
``p.data.add_(p.grad, alpha=-lr)`` after ``clip_grad_norm_``, an evaluation pass after each
epoch that saves the whole model with ``torch.save(model, f)`` when it is the best so far and
otherwise anneals the learning rate, and a test pass on the best model loaded back with
``torch.load(f, weights_only=False)`` and ``flatten_parameters()``.

Run: ``python examples/programs/lstm_lm.py`` (``EXAMPLE_FRAMEWORK=torch`` to run it on PyTorch).
"""
import _framework  # noqa: F401  (EXAMPLE_FRAMEWORK=torch: PyTorch; otherwise disttrain)

import math
import os
import tempfile

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


def train(model, criterion, train_data, batch_size, lr, clip, epoch):
    # Turn on training mode which enables dropout.
    model.train()
    total_loss = 0.
    losses = []
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
        print(f"epoch {epoch} batch {batch} lr {lr:.4f} loss {loss.item():.6f}")
    return losses


def main(epochs=3):
    ntokens, emsize, nhid, nlayers = 40, 16, 24, 2
    lr, clip, batch_size, eval_batch_size = 5.0, 0.25, 4, 2
    corpus_train = _framework.det_tokens(4 * 33, vocab=ntokens, seed=1)
    corpus_valid = _framework.det_tokens(2 * 17, vocab=ntokens, seed=5)
    corpus_test = _framework.det_tokens(2 * 17, vocab=ntokens, seed=8)
    train_data = batchify(corpus_train, batch_size)
    val_data = batchify(corpus_valid, eval_batch_size)
    test_data = batchify(corpus_test, eval_batch_size)

    # dropout 0: the numbers must not depend on a random generator
    model = RNNModel('LSTM', ntokens, emsize, nhid, nlayers, dropout=0.0)
    _framework.fill_(model, scale=1.0)
    criterion = nn.NLLLoss()

    losses = []
    # Loop over epochs.
    best_val_loss = None
    with tempfile.TemporaryDirectory() as save_dir:
        save = os.path.join(save_dir, 'model.pt')
        for epoch in range(1, epochs + 1):
            losses += train(model, criterion, train_data, batch_size, lr, clip, epoch)
            val_loss = evaluate(model, criterion, val_data, eval_batch_size, ntokens)
            print(f"end of epoch {epoch} valid loss {val_loss:.6f} "
                  f"valid ppl {math.exp(val_loss):.6f}")
            # Save the model if the validation loss is the best we've seen so far.
            if not best_val_loss or val_loss < best_val_loss:
                with open(save, 'wb') as f:
                    torch.save(model, f)
                best_val_loss = val_loss
            else:
                # Anneal the learning rate if no improvement has been seen in the validation dataset.
                lr /= 4.0

        # Load the best saved model.
        with open(save, 'rb') as f:
            model = torch.load(f, weights_only=False)
            # after load the rnn params are not a continuous chunk of memory
            # this makes them a continuous chunk, and will speed up forward pass
            # Currently, only rnn model supports flatten_parameters function.
            model.rnn.flatten_parameters()

    # Run on test data.
    test_loss = evaluate(model, criterion, test_data, eval_batch_size, ntokens)
    print(f"final test_loss {test_loss:.6f} best val_loss {best_val_loss:.6f} lr {lr}")
    return {"losses": losses, "best_val_loss": best_val_loss, "test_loss": test_loss, "lr": lr}


if __name__ == "__main__":
    main()
