"""NAdam: PyTorch's updates, state, errors and repr."""
from disttrain.optim import NAdam

from ._helpers import RefusesDifferentiable, StepChecks


class TestNAdam(StepChecks, RefusesDifferentiable):
    optimizer = NAdam

    # Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
    # the float32 values, state and repr are for the last configuration.
    EXPECTED = [
        ({'lr': 0.1},
         [[0.434013066230498, -1.0301819613700465, 1.9519666340349866],
          [0.01835503980927027, 0.22036011811190728, -0.45032710454518843, 0.5044980443556928]]),
        ({'lr': 0.1, 'momentum_decay': 0.5, 'weight_decay': 0.1},
         [[0.41578449170644605, -1.0015354272907273, 1.9061976118113748],
          [0.01704182325547561, 0.21988368385776677, -0.4394321544931853, 0.39662407573322167]]),
        ({'lr': 0.1, 'betas': (0.5, 0.6), 'weight_decay': 0.1, 'decoupled_weight_decay': True,
          'maximize': True},
         [[0.5562082899763525, -0.9153189199767645, 2.000923489480006],
          [0.17754026779895424, 0.18483341725520674, -0.11880762942925824, 0.27478434792532463]]),
    ]
    EXPECTED_F32 = [[0.5562083721160889, -0.9153188467025757, 2.0009233951568604],
                    [0.17754025757312775,
                     0.18483342230319977,
                     -0.11880766600370407,
                     0.2747843563556671]]
    STATE_F32 = {0: {'step': [3.0],
                     'mu_product': [0.01564030908048153],
                     'exp_avg': [-0.037500008940696716, -0.22499999403953552, 0.32499998807907104],
                     'exp_avg_sq': [0.06736000627279282, 0.10816001147031784, 0.19803999364376068]},
                 1: {'step': [2.0],
                     'mu_product': [0.06253061443567276],
                     'exp_avg': [-0.09999999403953552,
                                 -0.27500003576278687,
                                 -0.11249999701976776,
                                 0.30000001192092896],
                     'exp_avg_sq': [0.2760000228881836,
                                    0.3160000145435333,
                                    0.01900000125169754,
                                    0.14400000870227814]}}
    REPR = ('NAdam (\n'
            'Parameter Group 0\n'
            '    betas: (0.5, 0.6)\n'
            '    capturable: False\n'
            '    decoupled_weight_decay: True\n'
            '    differentiable: False\n'
            '    eps: 1e-08\n'
            '    foreach: None\n'
            '    lr: 0.1\n'
            '    maximize: True\n'
            '    momentum_decay: 0.004\n'
            '    weight_decay: 0.1\n'
            ')')
    INVALID = [({'lr': -0.1}, 'Invalid learning rate: -0.1'),
               ({'eps': -1}, 'Invalid epsilon value: -1'),
               ({'betas': (1.0, 0.9)}, 'Invalid beta parameter at index 0: 1.0'),
               ({'betas': (0.9, 1.0)}, 'Invalid beta parameter at index 1: 1.0'),
               ({'weight_decay': -1}, 'Invalid weight_decay value: -1'),
               ({'momentum_decay': -1}, 'Invalid momentum_decay value: -1')]
