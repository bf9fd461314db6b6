"""ASGD: PyTorch's updates, state, errors and repr."""
from disttrain.optim import ASGD

from ._helpers import RefusesDifferentiable, StepChecks


class TestASGD(StepChecks, RefusesDifferentiable):
    optimizer = ASGD

    # Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
    # the float32 values, state and repr are for the last configuration.
    EXPECTED = [
        ({'lr': 0.1},
         [[0.4899852001129018, -1.0599690489177533, 2.0549392359791203],
          [0.029998773214326556, 0.16999610159861545, -0.33499367532503604, 0.4599915494588664]]),
        ({'lr': 0.1, 't0': 1, 'lambd': 0.1, 'alpha': 0.5},
         [[0.4754191475650615, -1.0297533167927053, 1.9954703538970722],
          [0.028861064376756364, 0.1659293338406441, -0.32874635242642597, 0.4517618836855859]]),
        ({'lr': 0.1, 't0': 0, 'lambd': 0.01, 'weight_decay': 0.1, 'maximize': True},
         [[0.4934763235023742, -0.9076821796323138, 1.879599334829683],
          [0.16673622192696355, 0.22611546838788346, -0.2587210328535522, 0.33129662273940985]]),
    ]
    EXPECTED_F32 = [[0.49347633123397827, -0.9076821804046631, 1.8795994520187378],
                    [0.16673621535301208,
                     0.22611548006534576,
                     -0.2587210536003113,
                     0.3312966227531433]]
    STATE_F32 = {0: {'step': [3.0],
                     'eta': [0.09977559000253677],
                     'mu': [0.3333333432674408],
                     'ax': [0.4861205816268921, -0.9228182435035706, 1.9253721237182617]},
                 1: {'step': [2.0],
                     'eta': [0.09985025972127914],
                     'mu': [0.5],
                     'ax': [0.16673621535301208,
                            0.22611548006534576,
                            -0.2587210536003113,
                            0.3312966227531433]}}
    REPR = ('ASGD (\n'
            'Parameter Group 0\n'
            '    alpha: 0.75\n'
            '    capturable: False\n'
            '    differentiable: False\n'
            '    foreach: None\n'
            '    lambd: 0.01\n'
            '    lr: 0.1\n'
            '    maximize: True\n'
            '    t0: 0\n'
            '    weight_decay: 0.1\n'
            ')')
    INVALID = [({'lr': -0.1}, 'Invalid learning rate: -0.1'),
               ({'weight_decay': -1}, 'Invalid weight_decay value: -1')]
