"""Adamax: PyTorch's updates, state, errors and repr."""
from disttrain.optim import Adamax

from ._helpers import RefusesDifferentiable, StepChecks


class TestAdamax(StepChecks, RefusesDifferentiable):
    optimizer = Adamax

    # Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
    # the float32 values, state and repr are for the last configuration.
    EXPECTED = [
        ({'lr': 0.1},
         [[0.4094407751958836, -0.9724250474680404, 1.8565003510317488],
          [-0.03161055661024185, 0.2769736824983553, -0.46848953543417127, 0.45263157807017546]]),
        ({'lr': 0.1, 'betas': (0.5, 0.9), 'weight_decay': 0.1},
         [[0.40764093271149493, -0.9825763001672418, 1.8394027217531472],
          [-0.015034835685317728, 0.25261044025953217, -0.4572390502448733, 0.3643275092412988]]),
        ({'lr': 0.1, 'eps': 0.001, 'maximize': True},
         [[0.590250545060374, -1.027197951447256, 2.141822454469094],
          [0.23147907884749996, 0.12319716962684135, -0.13218173090263668, 0.3474559943953061]]),
    ]
    EXPECTED_F32 = [[0.590250551700592, -1.0271978378295898, 2.141822576522827],
                    [0.23147906363010406,
                     0.12319717556238174,
                     -0.13218173384666443,
                     0.3474560081958771]]
    STATE_F32 = {0: {'step': [3.0],
                     'exp_avg': [-0.008299999870359898, -0.05779999867081642, 0.05739999935030937],
                     'exp_inf': [0.40059900283813477, 0.6003990173339844, 0.7009999752044678]},
                 1: {'step': [2.0],
                     'exp_avg': [-0.05999999865889549,
                                 -0.03500000387430191,
                                 -0.0325000025331974,
                                 0.06000000238418579],
                     'exp_inf': [0.9999990463256836,
                                 0.8009999990463257,
                                 0.25074899196624756,
                                 0.6010000109672546]}}
    REPR = ('Adamax (\n'
            'Parameter Group 0\n'
            '    betas: (0.9, 0.999)\n'
            '    capturable: False\n'
            '    differentiable: False\n'
            '    eps: 0.001\n'
            '    foreach: None\n'
            '    lr: 0.1\n'
            '    maximize: True\n'
            '    weight_decay: 0\n'
            ')')
    INVALID = [({'lr': -0.1}, 'Invalid learning rate: -0.1'),
               ({'eps': -1}, 'Invalid epsilon value: -1'),
               ({'betas': (1.0, 0.9)}, 'Invalid beta parameter at index 0: 1.0'),
               ({'betas': (0.9, -0.1)}, 'Invalid beta parameter at index 1: -0.1'),
               ({'weight_decay': -1}, 'Invalid weight_decay value: -1')]
