"""A variational autoencoder in the shape of pytorch/examples' vae/main.py.

A Linear encoder to a mean and a log-variance, the reparameterisation
``mu + eps * std`` with ``eps = torch.randn_like(std)``, a Sigmoid decoder, the loss
``binary_cross_entropy(reduction='sum')`` plus the KL divergence, Adam, a ``DataLoader`` over a
``TensorDataset``, and a test pass under ``torch.no_grad()``.

The two frameworks draw different numbers from ``randn_like``, so the training loop hands the
model its noise from a fixed formula (``model.noise``); with ``noise`` unset the model draws it
with ``torch.randn_like`` exactly as the original does.

Run: ``python examples/programs/vae.py`` (``EXAMPLE_FRAMEWORK=torch`` to run it on PyTorch).
"""
import _framework  # noqa: F401  (EXAMPLE_FRAMEWORK=torch: PyTorch; otherwise disttrain)

import torch
import torch.utils.data
from torch import nn, optim
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

IMAGE = 64      # 8x8 "images" in place of MNIST's 28x28


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()

        self.fc1 = nn.Linear(IMAGE, 32)
        self.fc21 = nn.Linear(32, 4)
        self.fc22 = nn.Linear(32, 4)
        self.fc3 = nn.Linear(4, 32)
        self.fc4 = nn.Linear(32, IMAGE)
        self.noise = None

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std) if self.noise is None else self.noise
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, IMAGE))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


# Reconstruction + KL divergence losses summed over all elements and batch
def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, IMAGE), reduction='sum')

    # see Appendix B from VAE paper:
    # Kingma and Welling. Auto-Encoding Variational Bayes. ICLR, 2014
    # https://arxiv.org/abs/1312.6114
    # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())

    return BCE + KLD


def train(model, optimizer, train_loader, epoch):
    model.train()
    train_loss = 0
    losses = []
    for batch_idx, (data, _) in enumerate(train_loader):
        model.noise = _framework.det(data.size(0), 4, seed=100 * epoch + batch_idx)
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        losses.append(loss.item() / len(data))
        print(f"epoch {epoch} batch {batch_idx} loss {loss.item() / len(data):.6f}")
    print('====> Epoch: {} Average loss: {:.4f}'.format(
          epoch, train_loss / len(train_loader.dataset)))
    return losses


def test(model, test_loader, epoch):
    model.eval()
    test_loss = 0
    with torch.no_grad():
        for i, (data, _) in enumerate(test_loader):
            model.noise = _framework.det(data.size(0), 4, seed=7 + i)
            recon_batch, mu, logvar = model(data)
            test_loss += loss_function(recon_batch, data, mu, logvar).item()

    test_loss /= len(test_loader.dataset)
    print('====> Test set loss: {:.4f}'.format(test_loss))
    return test_loss


def main(epochs=2):
    # pixel intensities in [0, 1] from a formula; labels are unused, as in the original
    images = (_framework.det(48, 1, 8, 8, seed=3) + 1) / 2
    labels = torch.arange(48) % 10
    train_loader = DataLoader(TensorDataset(images[:32], labels[:32]), batch_size=8,
                              shuffle=False)
    test_loader = DataLoader(TensorDataset(images[32:], labels[32:]), batch_size=8)

    model = VAE()
    _framework.fill_(model)
    optimizer = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for epoch in range(1, epochs + 1):
        losses += train(model, optimizer, train_loader, epoch)
        test_loss = test(model, test_loader, epoch)
    print(f"final test_loss {test_loss:.6f}")
    with torch.no_grad():
        # random draws from here on, as in the original: only their shapes are reported
        model.noise = None
        recon, _, _ = model(images[:2])
        sample = model.decode(torch.randn(8, 4)).view(8, 1, 8, 8)
    print("reconstruction", tuple(recon.shape), "samples", tuple(sample.shape))
    return {"losses": losses, "test_loss": test_loss,
            "shapes": [tuple(recon.shape), tuple(sample.shape)]}


if __name__ == "__main__":
    main()
