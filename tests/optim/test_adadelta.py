"""Adadelta: PyTorch's updates, state, errors and repr."""
from disttrain.optim import Adadelta

from ._helpers import RefusesDifferentiable, StepChecks


class TestAdadelta(StepChecks, RefusesDifferentiable):
    optimizer = Adadelta

    # Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
    # the float32 values, state and repr are for the last configuration.
    EXPECTED = [
        ({'lr': 1.0},
         [[0.49823992151523316, -1.0030386523627057, 1.9995357289111828],
          [0.098186127695027, 0.19931549882354035, -0.30489931307837537, 0.4031622337405603]]),
        ({'lr': 0.5, 'rho': 0.5, 'eps': 0.001},
         [[0.48509526193412644, -1.0254170086354184, 1.9946917949032192],
          [0.08998541727489227, 0.1934428154832311, -0.33709865684578777, 0.422298824387415]]),
        ({'lr': 1.0, 'weight_decay': 0.1, 'maximize': True},
         [[0.50095264299273, -0.9961928578894887, 1.9873956163053015],
          [0.10175925075639093, 0.20061780603240884, -0.2948760946080515, 0.39239026242565594]]),
    ]
    EXPECTED_F32 = [[0.5009526610374451, -0.9961928725242615, 1.9873955249786377],
                    [0.10175925493240356,
                     0.20061780512332916,
                     -0.2948760986328125,
                     0.39239028096199036]]
    STATE_F32 = {0: {'step': [3.0],
                     'square_avg': [0.025565506890416145, 0.05394221842288971, 0.08370167016983032],
                     'acc_delta': [2.5241247385565657e-06,
                                   3.219641939722351e-06,
                                   5.304776095726993e-06]},
                 1: {'step': [2.0],
                     'square_avg': [0.0978386178612709,
                                    0.08522533625364304,
                                    0.008737788535654545,
                                    0.041063662618398666],
                     'acc_delta': [1.0968349215545459e-06,
                                   2.3288262127607595e-06,
                                   1.2847626749135088e-06,
                                   2.8811591619160026e-06]}}
    REPR = ('Adadelta (\n'
            'Parameter Group 0\n'
            '    capturable: False\n'
            '    differentiable: False\n'
            '    eps: 1e-06\n'
            '    foreach: None\n'
            '    lr: 1.0\n'
            '    maximize: True\n'
            '    rho: 0.9\n'
            '    weight_decay: 0.1\n'
            ')')
    INVALID = [({'lr': -0.1}, 'Invalid learning rate: -0.1'),
               ({'rho': 1.5}, 'Invalid rho value: 1.5'),
               ({'eps': -1}, 'Invalid epsilon value: -1'),
               ({'weight_decay': -1}, 'Invalid weight_decay value: -1')]
