"""A DCGAN in the shape of pytorch/examples' dcgan/main.py, scaled to 16x16 images.

A ``ConvTranspose2d`` generator with ``BatchNorm2d``/``ReLU`` and a ``Tanh`` output, a
``Conv2d`` discriminator with ``LeakyReLU(0.2, inplace=True)`` and a ``Sigmoid`` output,
``weights_init`` applied through ``Module.apply`` (matching class names as the original does),
``BCELoss``, two Adam optimizers with ``betas=(0.5, 0.999)``, and the alternating update:
D on a real batch and on ``fake.detach()``, then G through D with real labels.

Run: ``python examples/programs/dcgan.py`` (``EXAMPLE_FRAMEWORK=torch`` to run it on PyTorch).
"""
import _framework  # noqa: F401  (EXAMPLE_FRAMEWORK=torch: PyTorch; otherwise disttrain)

import torch
import torch.nn as nn
import torch.optim as optim
import torch.utils.data

nz = 8      # size of the latent z vector
ngf = 8
ndf = 8
nc = 3


# custom weights initialization called on netG and netD
def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self, ngpu):
        super(Generator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 4 x 4
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 8 x 8
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 16 x 16
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output


class Discriminator(nn.Module):
    def __init__(self, ngpu):
        super(Discriminator, self).__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            # input is (nc) x 16 x 16
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 8 x 8
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 4 x 4
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)

        return output.view(-1, 1).squeeze(1)


def main(steps=4):
    device = torch.device("cpu")
    ngpu = 0
    batch_size = 6

    netG = Generator(ngpu).to(device)
    netG.apply(weights_init)
    _framework.fill_(netG, scale=2.0)       # fixed weights in place of the random init
    print(netG)

    netD = Discriminator(ngpu).to(device)
    netD.apply(weights_init)
    _framework.fill_(netD, scale=2.0)
    print(netD)

    criterion = nn.BCELoss()

    fixed_noise = _framework.det(batch_size, nz, 1, 1, seed=42)
    real_label = 1
    fake_label = 0

    # setup optimizer
    optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))

    history = []
    for i in range(steps):
        # a fixed "real" batch in [-1, 1], like normalised images
        data = (_framework.det(batch_size, nc, 16, 16, seed=i) * 0.9,)
        ############################
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        ###########################
        # train with real
        netD.zero_grad()
        real_cpu = data[0].to(device)
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), real_label,
                           dtype=real_cpu.dtype, device=device)

        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        # train with fake
        noise = _framework.det(batch_size, nz, 1, 1, seed=10 + i)
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        ############################
        # (2) Update G network: maximize log(D(G(z)))
        ###########################
        netG.zero_grad()
        label.fill_(real_label)  # fake labels are real for generator cost
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()

        print('step %d Loss_D: %.6f Loss_G: %.6f D(x): %.6f D(G(z)): %.6f / %.6f'
              % (i, errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
        history.append([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])

    netG.eval()
    with torch.no_grad():
        fake = netG(fixed_noise)
    print(f"final fake mean {fake.mean().item():.6f} std {fake.std().item():.6f}")
    print("running_mean", [round(v, 6) for v in netG.main[1].running_mean[:4].tolist()])
    return {"history": history, "fake_mean": fake.mean().item(), "fake_std": fake.std().item(),
            "running_mean": netG.main[1].running_mean.tolist()}


if __name__ == "__main__":
    main()
