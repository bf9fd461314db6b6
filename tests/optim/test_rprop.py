"""Rprop: PyTorch's updates, state, errors and repr."""
from disttrain.optim import Rprop

from ._helpers import RefusesDifferentiable, StepChecks


class TestRprop(StepChecks, RefusesDifferentiable):
    optimizer = Rprop

    # Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
    # the float32 values, state and repr are for the last configuration.
    EXPECTED = [
        ({'lr': 0.1},
         [[0.35000000000000003, -0.9500000000000001, 1.7799999999999998],
          [0.0, 0.30000000000000004, -0.52, 0.5]]),
        ({'lr': 0.1, 'etas': (0.3, 1.5), 'step_sizes': (0.05, 0.12)},
         [[0.35000000000000003, -0.9500000000000001, 1.7799999999999998],
          [0.0, 0.30000000000000004, -0.52, 0.5]]),
        ({'lr': 0.1, 'maximize': True},
         [[0.65, -1.05, 2.22], [0.2, 0.1, -0.07999999999999999, 0.30000000000000004]]),
    ]
    EXPECTED_F32 = [[0.6500000357627869, -1.0500000715255737, 2.2199997901916504],
                    [0.20000000298023224,
                     0.10000000149011612,
                     -0.08000001311302185,
                     0.30000001192092896]]
    STATE_F32 = {0: {'step': [3.0],
                     'prev': [-0.20000000298023224, -0.20000000298023224, 0.0],
                     'step_size': [0.05000000074505806, 0.05000000074505806, 0.06000000238418579]},
                 1: {'step': [2.0],
                     'prev': [0.0, 0.0, -0.10000000149011612, 0.6000000238418579],
                     'step_size': [0.05000000074505806,
                                   0.05000000074505806,
                                   0.12000000476837158,
                                   0.10000000149011612]}}
    REPR = ('Rprop (\n'
            'Parameter Group 0\n'
            '    capturable: False\n'
            '    differentiable: False\n'
            '    etas: (0.5, 1.2)\n'
            '    foreach: None\n'
            '    lr: 0.1\n'
            '    maximize: True\n'
            '    step_sizes: (1e-06, 50)\n'
            ')')
    INVALID = [({'lr': -0.1}, 'Invalid learning rate: -0.1'),
               ({'etas': (1.0, 1.2)}, 'Invalid eta values: 1.0, 1.2'),
               ({'etas': (0.5, 1.0)}, 'Invalid eta values: 0.5, 1.0')]
