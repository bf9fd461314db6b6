"""A custom layer with a buffer: the first n Fourier coefficients of each input row.

The frequency indices ``k`` are registered with ``register_buffer``: they move with the
module (``.to``), are saved in its ``state_dict``, but are not parameters.
Run: ``python examples/seeds/models_fourier_layer.py``
"""
import disttrain as torch
import disttrain.nn as nn


class FourierCoefficientLayer(nn.Module):
    def __init__(self, n):  # n: the number of Fourier coefficients
        super(FourierCoefficientLayer, self).__init__()
        self.n = n
        # a (1, n) buffer with the coefficient indices
        self.register_buffer('k', torch.arange(n).float().view(1, -1))

    def forward(self, x):
        # Fourier coefficients
        kx = 2 * torch.pi * self.k * x.unsqueeze(-1) / self.n  # B x L x n
        cos_kx = torch.cos(kx)
        sin_kx = torch.sin(kx)
        real = cos_kx.sum(dim=1, keepdim=True) / self.n  # B x 1 x n
        imag = sin_kx.sum(dim=1, keepdim=True) / self.n  # B x 1 x n
        complex = torch.cat([real, imag], dim=1)  # B x 2 x n
        return complex


def main():
    layer = FourierCoefficientLayer(4)
    print(layer)
    print(list(layer.state_dict().keys()), list(layer.parameters()))
    x = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    print(layer(x))


if __name__ == "__main__":
    main()
