"""Sine-wave fitting with L-BFGS in the shape of pytorch/examples' time_sequence_prediction.

A ``Sequence`` model of two ``nn.LSTMCell`` and a Linear read-out stepped over
``input.split(1, dim=1)`` and extended into the future from its own outputs, in float64
(``model.double()``), trained by ``optim.LBFGS(..., line_search_fn="strong_wolfe")`` with a
closure that zeroes the gradients, computes the MSE and calls ``backward``.

Run: ``python examples/programs/lbfgs_sine.py`` (``EXAMPLE_FRAMEWORK=torch`` to run it on
PyTorch).
"""
import _framework  # noqa: F401  (EXAMPLE_FRAMEWORK=torch: PyTorch; otherwise disttrain)

import torch
import torch.nn as nn
import torch.optim as optim

HIDDEN = 12


class Sequence(nn.Module):
    def __init__(self):
        super(Sequence, self).__init__()
        self.lstm1 = nn.LSTMCell(1, HIDDEN)
        self.lstm2 = nn.LSTMCell(HIDDEN, HIDDEN)
        self.linear = nn.Linear(HIDDEN, 1)

    def forward(self, input, future=0):
        outputs = []
        h_t = torch.zeros(input.size(0), HIDDEN, dtype=torch.double)
        c_t = torch.zeros(input.size(0), HIDDEN, dtype=torch.double)
        h_t2 = torch.zeros(input.size(0), HIDDEN, dtype=torch.double)
        c_t2 = torch.zeros(input.size(0), HIDDEN, dtype=torch.double)

        for input_t in input.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for i in range(future):  # if we should predict the future
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        outputs = torch.cat(outputs, dim=1)
        return outputs


def generate_sine_wave(N=6, L=24, T=20):
    # generate_sine_wave.py draws the phase shifts at random; here they are fixed
    x = torch.arange(L, dtype=torch.float64).view(1, L) + torch.arange(N).view(N, 1) * 3.0
    return torch.sin(x / 1.0 / T)


def main(steps=3):
    data = generate_sine_wave()
    input = data[2:, :-1]
    target = data[2:, 1:]
    test_input = data[:2, :-1]
    test_target = data[:2, 1:]
    # build the model
    seq = Sequence()
    seq.double()
    _framework.fill_(seq)
    criterion = nn.MSELoss()
    # use LBFGS as optimizer since we can load the whole data to train
    optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=10,
                            line_search_fn="strong_wolfe")
    losses = []
    # begin to train
    for i in range(steps):
        def closure():
            optimizer.zero_grad()
            out = seq(input)
            loss = criterion(out, target)
            loss.backward()
            return loss
        loss = optimizer.step(closure)
        losses.append(loss.item())
        # begin to predict, no need to track gradient here
        with torch.no_grad():
            future = 5
            pred = seq(test_input, future=future)
            test_loss = criterion(pred[:, :-future], test_target)
        print(f"step {i} loss {loss.item():.9f} test {test_loss.item():.9f}")
    state = optimizer.state[optimizer.param_groups[0]['params'][0]]
    print(f"final loss {criterion(seq(input), target).item():.9f} "
          f"func_evals {state['func_evals']} n_iter {state['n_iter']}")
    print("future", [round(v, 6) for v in pred[0, -future:].tolist()])
    return {"losses": losses, "test_loss": test_loss.item(),
            "future": pred[0, -future:].tolist(),
            "func_evals": state['func_evals'], "n_iter": state['n_iter']}


if __name__ == "__main__":
    main()
