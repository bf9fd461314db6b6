"""RAdam: PyTorch's updates, state, errors and repr. Six steps, so that the rectified branch
runs (rho_t > 5 from step 6 with beta2 = 0.99 or 0.999)."""
from disttrain.optim import RAdam

from ._helpers import GRADS, RefusesDifferentiable, StepChecks


class TestRAdam(StepChecks, RefusesDifferentiable):
    optimizer = RAdam
    grads = GRADS * 2

    # Parameters after 6 steps (_helpers.GRADS repeated), computed by PyTorch 2.13 (float64);
    # the float32 values, state and repr are for the last configuration.
    EXPECTED = [
        ({'lr': 0.1},
         [[0.46416219310917106, -1.0558713994422018, 2.0251969067331865],
          [-0.11998446300252479, 0.21998446300252475, -0.3792289765002913, 0.48308409399883473]]),
        ({'lr': 0.1, 'betas': (0.5, 0.6)},
         [[0.4720307219662058, -1.097708141321045, 2.0728448540706603],
          [-0.08952380952380955, 0.18952380952380948, -0.3757142857142858, 0.4971428571428571]]),
        ({'lr': 0.1, 'betas': (0.8, 0.99), 'weight_decay': 0.1},
         [[0.4413849701655335, -1.0124127200608704, 1.9298964070013414],
          [-0.11430905438750427, 0.20414742312951362, -0.36575371440929805, 0.47007150133773656]]),
        ({'lr': 0.1, 'betas': (0.8, 0.99), 'weight_decay': 0.1, 'decoupled_weight_decay': True,
          'maximize': True},
         [[0.5028879848862191, -0.8788589370102865, 1.850940329278838],
          [0.3048955574663025, 0.18030319553369764, -0.21103851379234967, 0.2987596608306011]]),
    ]
    EXPECTED_F32 = [[0.502888023853302, -0.8788589239120483, 1.8509403467178345],
                    [0.3048955798149109,
                     0.1803032010793686,
                     -0.2110385149717331,
                     0.29875969886779785]]
    STATE_F32 = {0: {'step': [6.0],
                     'exp_avg': [-0.021772801876068115, -0.16692481935024261, 0.18023039400577545],
                     'exp_avg_sq': [0.005647054873406887,
                                    0.008582702837884426,
                                    0.009896337985992432]},
                 1: {'step': [4.0],
                     'exp_avg': [-0.1639999896287918,
                                 -0.13120001554489136,
                                 -0.09840000420808792,
                                 0.19680000841617584],
                     'exp_avg_sq': [0.021385081112384796,
                                    0.017573390156030655,
                                    0.001423196867108345,
                                    0.00712836068123579]}}
    REPR = ('RAdam (\n'
            'Parameter Group 0\n'
            '    betas: (0.8, 0.99)\n'
            '    capturable: False\n'
            '    decoupled_weight_decay: True\n'
            '    differentiable: False\n'
            '    eps: 1e-08\n'
            '    foreach: None\n'
            '    lr: 0.1\n'
            '    maximize: True\n'
            '    weight_decay: 0.1\n'
            ')')
    INVALID = [({'lr': -0.1}, 'Invalid learning rate: -0.1'),
               ({'eps': -1}, 'Invalid epsilon value: -1'),
               ({'betas': (1.0, 0.9)}, 'Invalid beta parameter at index 0: 1.0'),
               ({'betas': (0.9, 1.0)}, 'Invalid beta parameter at index 1: 1.0'),
               ({'weight_decay': -1}, 'Invalid weight_decay value: -1')]
