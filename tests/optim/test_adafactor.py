"""Adafactor: PyTorch's updates, state, errors and repr. Matrices keep row and column
statistics, vectors a full variance."""
import disttrain
from disttrain.optim import Adafactor

from ._helpers import StepChecks, assert_values


class TestAdafactor(StepChecks):
    optimizer = Adafactor

    # Parameters after the three steps of _helpers.GRADS, computed by PyTorch 2.13 (float64);
    # the float32 values, state and repr are for the last configuration.
    EXPECTED = [
        ({'lr': 0.1},
         [[0.41649488538402724, -1.077205498582168, 1.9770694553826937],
          [0.08599555819927743, 0.19755828016439406, -0.33922780906931377, 0.4456338058697031]]),
        ({'lr': 0.1, 'beta2_decay': -0.5, 'eps': (0.001, 0.01), 'd': 1.5},
         [[0.41221764079353773, -1.074145915605391, 1.9389679946758693],
          [0.08869349101967344, 0.19836631050680917, -0.33985793634530626, 0.439540426669167]]),
        ({'lr': 0.1, 'weight_decay': 0.1, 'maximize': True},
         [[0.5555860547708442, -0.8564952700214054, 1.947282118809814],
          [0.11288072970857342, 0.19611528702609116, -0.2558635622961954, 0.3503362368752356]]),
    ]
    EXPECTED_F32 = [[0.5555860996246338, -0.856495201587677, 1.947282075881958],
                    [0.11288073658943176,
                     0.19611528515815735,
                     -0.25586360692977905,
                     0.3503362536430359]]
    STATE_F32 = {0: {'step': [3.0],
                     'variance': [0.09274762868881226, 0.14747337996959686, 0.2067980319261551]},
                 1: {'step': [2.0],
                     'row_var': [0.4756692349910736, 0.11955620348453522],
                     'col_var': [0.25484445691108704, 0.3403809368610382]}}
    REPR = ('Adafactor (\n'
            'Parameter Group 0\n'
            '    beta2_decay: -0.8\n'
            '    d: 1.0\n'
            '    eps: (None, 0.001)\n'
            '    foreach: None\n'
            '    lr: 0.1\n'
            '    maximize: True\n'
            '    weight_decay: 0.1\n'
            ')')
    INVALID = [({'lr': -0.1}, 'Learning rate should be >= 0 but is: -0.1'),
               ({'beta2_decay': 0.5}, 'beta2_decay should be <= 0 but is: 0.5'),
               ({'eps': (-1.0, 0.001)}, 'epsilon1 should be >= 0 but is: -1.0'),
               ({'eps': (None, -1.0)}, 'epsilon2 should be >= 0 but is: -1.0'),
               ({'d': 0.5}, 'Clipping threshold d should be >= 1 but is: 0.5'),
               ({'weight_decay': -1}, 'weight_decay should be >= 0 but is: -1')]


def test_batched_matrices_factor_their_last_two_dimensions():
    """A (2, 2, 3) parameter keeps row_var (2, 2, 1) and col_var (2, 1, 3), and two steps
    equal PyTorch's."""
    p = (disttrain.arange(12, dtype=disttrain.float64).reshape(2, 2, 3) * 0.3 - 1.5)
    p.requires_grad_()
    opt = Adafactor([p], lr=0.05)
    for k in range(2):
        p.grad = disttrain.cos(disttrain.arange(12, dtype=disttrain.float64) *
                               (k + 1)).reshape(2, 2, 3)
        opt.step()
    assert_values([p], [[-1.6069346014888146, -1.1986118046476832, -0.781897532666784,
                         -0.5996035441458542, -0.22640631184724375, 0.03054331472968732,
                         0.19279836232340328, 0.5376635803138201, 1.0423219453314272,
                         1.2087300180876102, 1.5165936345066529, 1.8692799036567158]])
    state = opt.state[p]
    assert list(state) == ["step", "row_var", "col_var"]
    assert state["row_var"].shape == (2, 2, 1) and state["col_var"].shape == (2, 1, 3)
    assert_values([state["row_var"], state["col_var"]],
                  [[0.5142758851891206, 0.5264385109224192, 0.5299418954811693,
                    0.524473113653331],
                   [0.9733410248452719, 0.2088709842025318, 0.37885958511950624,
                    0.7025956264175369, 0.32399388998270584, 0.5550329973015077]])
