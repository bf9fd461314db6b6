"""Learning a convolution kernel from data, and cross-correlation as one matrix product.

The tutorial's edge detector: ``X`` is a 6x8 image of ones with a black band, ``Y`` its
cross-correlation with ``K = [[1, -1]]``. A ``Conv2d(1, 1, (1, 2), bias=False)`` learns ``K``
back by gradient descent, updating ``conv2d.weight.data[:] -= lr * conv2d.weight.grad``.
Then ``conv2d_by_mul`` computes the same cross-correlation by stacking every window into a
row and multiplying by the flattened kernel.
Run: ``python examples/seeds/cnn_conv2d_kernel_learning.py``
"""
import disttrain as torch
from disttrain import nn


def corr2d(X, K):
    """2-d cross-correlation, window by window (the textbook definition)."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def conv2d_by_mul(X, K):
    """Cross-correlation as a matrix product: windows as rows times the kernel as a column."""
    h, w = K.shape
    outh = X.shape[0] - h + 1
    outw = X.shape[1] - w + 1
    K = K.reshape(-1, 1)
    Y = []
    for i in range(outh):
        for j in range(outw):
            Y.append(X[i:i + h, j:j + w].reshape(-1))
    Y = torch.stack(Y, 0)
    res = (torch.matmul(Y, K)).reshape(outh, outw)
    return res


def main(epochs=10, lr=3e-2, init=None):
    """Run the tutorial; ``init`` (a 1x2 list) replaces the random initial kernel."""
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    K = torch.tensor([[1.0, -1.0]])
    Y = corr2d(X, K)
    print(Y)

    conv2d = nn.Conv2d(1, 1, kernel_size=(1, 2), bias=False)
    if init is not None:
        conv2d.weight.data[:] = torch.tensor(init).reshape(1, 1, 1, 2)
    X = X.reshape((1, 1, 6, 8))
    Y = Y.reshape((1, 1, 6, 7))
    losses = []
    for i in range(epochs):
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2        # noqa: E741  (the tutorial's name)
        conv2d.zero_grad()
        l.sum().backward()
        # 迭代卷积核
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
        losses.append(l.sum().item())
        if (i + 1) % 2 == 0:
            print(f'epoch {i + 1}, loss {l.sum():.3f}')
    print(conv2d.weight.data.reshape((1, 2)))

    X2 = X.reshape(6, 8)
    print(conv2d_by_mul(X2, K))
    print(torch.equal(conv2d_by_mul(X2, K), corr2d(X2, K)))
    return conv2d, losses


if __name__ == "__main__":
    main()
