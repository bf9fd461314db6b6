"""Learning-rate schedulers: the lr (and momentum) sequences PyTorch gives, warnings, errors,
and resuming from ``state_dict``."""
import math
import warnings

import pytest

import disttrain
from disttrain.optim import SGD, Adagrad, Adam
from disttrain.optim import lr_scheduler as S

# lr of group 0 at construction and after each of 15 steps, by PyTorch 2.13.
LRS = {
    "StepLR": [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125,
               0.00625, 0.00625, 0.00625, 0.003125],
    "MultiStepLR": [0.1, 0.1, 0.03, 0.03, 0.03, 0.0026999999999999997, 0.0026999999999999997,
                    0.0026999999999999997, 0.0026999999999999997, 0.0008099999999999998,
                    0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998,
                    0.0008099999999999998, 0.0008099999999999998, 0.0008099999999999998],
    "ExponentialLR": [0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002,
                      0.06561000000000002, 0.05904900000000002, 0.05314410000000002,
                      0.04782969000000002, 0.043046721000000024, 0.03874204890000002,
                      0.03486784401000002, 0.03138105960900001, 0.028242953648100012,
                      0.025418658283290013, 0.022876792454961013, 0.020589113209464913],
    "CosineAnnealingLR": [0.1, 0.08681980515339464, 0.05500000000000001, 0.023180194846605363, 0.01,
                          0.023180194846605363, 0.05500000000000002, 0.08681980515339469,
                          0.10000000000000006, 0.0868198051533947, 0.05500000000000005,
                          0.023180194846605412, 0.01, 0.023180194846605363, 0.054999999999999924,
                          0.08681980515339449],
    "LambdaLR": [0.1, 0.05, 0.03333333333333333, 0.025, 0.020000000000000004, 0.016666666666666666,
                 0.014285714285714285, 0.0125, 0.011111111111111112, 0.010000000000000002,
                 0.009090909090909092, 0.008333333333333333, 0.007692307692307693,
                 0.007142857142857143, 0.006666666666666667, 0.00625],
    "MultiplicativeLR": [0.1, 0.095, 0.09025, 0.0857375, 0.08145062499999998, 0.07737809374999999,
                         0.07350918906249998, 0.06983372960937498, 0.06634204312890622,
                         0.0630249409724609, 0.05987369392383786, 0.05688000922764597,
                         0.05403600876626367, 0.05133420832795048, 0.04876749791155295,
                         0.046329123015975304],
    "LinearLR": [0.020000000000000004, 0.03166666666666667, 0.04333333333333333,
                 0.05499999999999999, 0.06666666666666667, 0.07833333333333334, 0.09000000000000001,
                 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001,
                 0.09000000000000001, 0.09000000000000001, 0.09000000000000001, 0.09000000000000001,
                 0.09000000000000001],
    "ConstantLR": [0.04000000000000001, 0.04000000000000001, 0.04000000000000001,
                   0.04000000000000001, 0.10000000000000002, 0.10000000000000002,
                   0.10000000000000002, 0.10000000000000002, 0.10000000000000002,
                   0.10000000000000002, 0.10000000000000002, 0.10000000000000002,
                   0.10000000000000002, 0.10000000000000002, 0.10000000000000002,
                   0.10000000000000002],
    "PolynomialLR": [0.1, 0.0765625, 0.05625, 0.03906250000000001, 0.02500000000000001,
                     0.014062500000000006, 0.006250000000000002, 0.0015625000000000005, 0.0, 0.0,
                     0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "SequentialLR": [0.010000000000000002, 0.04, 0.07, 0.1, 0.1, 0.08000000000000002,
                     0.06400000000000002, 0.051200000000000016, 0.04096000000000002,
                     0.03276800000000001, 0.026214400000000013, 0.02097152000000001,
                     0.016777216000000008, 0.013421772800000007, 0.010737418240000006,
                     0.008589934592000005],
    "ChainedScheduler": [0.05, 0.045000000000000005, 0.04050000000000001, 0.07290000000000002,
                         0.06561000000000002, 0.05904900000000002, 0.05314410000000002,
                         0.04782969000000002, 0.043046721000000024, 0.03874204890000002,
                         0.03486784401000002, 0.03138105960900001, 0.028242953648100012,
                         0.025418658283290013, 0.022876792454961013, 0.020589113209464913],
    "OneCycleLR_cos": [0.040000000000000036, 0.19490484561964427, 0.5596380858267195,
                       0.8987874445102688, 0.9992134106552782, 0.9719417773875232,
                       0.9077808033578921, 0.811745653949763, 0.6913429508156801,
                       0.5559840141227016, 0.41624922336007847, 0.28306099820869923,
                       0.16683004371715396, 0.0766415938342564, 0.019545260862094144, 4e-06],
    "OneCycleLR_linear3": [0.02, 0.17999999999999997, 0.33999999999999997, 0.5, 0.34,
                           0.18000000000000005, 0.020000000000000018, 0.017778000000000002,
                           0.015556, 0.013334, 0.011112, 0.008889999999999999, 0.006668,
                           0.0044459999999999986, 0.0022240000000000003, 1.9999999999985307e-06],
    "CyclicLR": [0.01, 0.039999999999999994, 0.06999999999999999, 0.09999999999999999, 0.055, 0.01,
                 0.025000000000000015, 0.039999999999999994, 0.055, 0.03250000000000002, 0.01,
                 0.01750000000000001, 0.024999999999999998, 0.0325, 0.021250000000000012, 0.01],
    "CyclicLR_exp": [0.01, 0.030250000000000006, 0.046450000000000005, 0.05920750000000001,
                     0.06904900000000001, 0.04985807500000001, 0.033914845000000006,
                     0.020761680250000004, 0.01, 0.018716961002500004, 0.025690529804500005,
                     0.031182215236075006, 0.035418658283290015, 0.027157594341220753,
                     0.020294556604732457, 0.014632550472129604],
    "CosineAnnealingWarmRestarts": [0.1, 0.07525000000000001, 0.025750000000000012, 0.1,
                                    0.09336825748732973, 0.07525000000000001, 0.0505,
                                    0.025750000000000012, 0.007631742512670284, 0.1,
                                    0.09831332840130888, 0.09336825748732973, 0.0855017856687341,
                                    0.07525000000000001, 0.06331154273257478, 0.0505],
    "OneCycleLR_adam": [0.0003999999999999993, 0.0019490484561964418, 0.005596380858267195,
                        0.008987874445102689, 0.009992134106552784, 0.009719417773875232,
                        0.009077808033578922, 0.00811745653949763, 0.006913429508156801,
                        0.005559840141227016, 0.004162492233600785, 0.0028306099820869924,
                        0.0016683004371715396, 0.0007664159383425639, 0.00019545260862094147,
                        4e-08],
    "ReduceLROnPlateau": [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02,
                          0.02, 0.02, 0.02, 0.02],
    "ReduceLROnPlateau_max_abs": [0.1, 0.1, 0.010000000000000002, 0.0010000000000000002,
                                  0.00010000000000000003, 1.0000000000000004e-05,
                                  1.0000000000000004e-06, 1.0000000000000005e-07,
                                  1.0000000000000005e-08, 1.0000000000000005e-08,
                                  1.0000000000000005e-08, 1.0000000000000005e-08,
                                  1.0000000000000005e-08, 1.0000000000000005e-08,
                                  1.0000000000000005e-08, 1.0000000000000005e-08],
}
# momentum (or Adam's beta1) of group 0 after each step.
MOMENTA = {
    "OneCycleLR_cos": [0.9338640785812871, 0.8958710327263834, 0.8605429745301802,
                       0.8500786592491092, 0.8528058334845816, 0.8592219565520369,
                       0.8688255099070633, 0.8808658283817454, 0.8944017761948346,
                       0.9083753111652367, 0.9216941869558779, 0.9333173288976001,
                       0.9423362099614142, 0.9480458660972549, 0.95],
    "OneCycleLR_linear3": [0.9166666666666666, 0.8833333333333333, 0.85, 0.8833333333333333,
                           0.9166666666666666, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95,
                           0.95],
    "CyclicLR": [0.8666666666666667, 0.8333333333333334, 0.8, 0.8500000000000001, 0.9,
                 0.8833333333333333, 0.8666666666666667, 0.8500000000000001, 0.875, 0.9,
                 0.8916666666666667, 0.8833333333333334, 0.875, 0.8875000000000001, 0.9],
    "CyclicLR_exp": [0.8775000000000001, 0.8595, 0.845325, 0.8343900000000001, 0.85571325,
                     0.8734279500000001, 0.8880425775, 0.9, 0.890314487775, 0.882566077995,
                     0.87646420529325, 0.8717570463519, 0.8809360062875325, 0.8885616037725195,
                     0.8948527216976337],
}
# Adam's beta1 runs through the same 16-step cycle, with the same default bounds.
MOMENTA["OneCycleLR_adam"] = MOMENTA["OneCycleLR_cos"]

PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.94, 0.8, 0.85, 0.86, 0.87, 0.88, 0.89,
                   0.9, 0.7]

CASES = {
    "StepLR": lambda o: S.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: S.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3),
    "ExponentialLR": lambda o: S.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
    "LambdaLR": lambda o: S.LambdaLR(o, lambda e: 1 / (e + 1)),
    "MultiplicativeLR": lambda o: S.MultiplicativeLR(o, lambda e: 0.95),
    "LinearLR": lambda o: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=6),
    "ConstantLR": lambda o: S.ConstantLR(o, factor=0.4, total_iters=4),
    "PolynomialLR": lambda o: S.PolynomialLR(o, total_iters=8, power=2.0),
    "SequentialLR": lambda o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.ExponentialLR(o, gamma=0.8)],
        milestones=[4]),
    "ChainedScheduler": lambda o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.5, total_iters=3), S.ExponentialLR(o, gamma=0.9)]),
    "OneCycleLR_cos": lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=16),
    "OneCycleLR_linear3": lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=16,
                                                 anneal_strategy="linear", three_phase=True,
                                                 pct_start=0.25),
    "CyclicLR": lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                     step_size_down=2, mode="triangular2"),
    "CyclicLR_exp": lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4,
                                         mode="exp_range", gamma=0.9),
    "CosineAnnealingWarmRestarts": lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                           eta_min=0.001),
    "OneCycleLR_adam": lambda o: S.OneCycleLR(o, max_lr=0.01, epochs=2, steps_per_epoch=8),
    "ReduceLROnPlateau": lambda o: S.ReduceLROnPlateau(o, patience=1, factor=0.5, cooldown=1,
                                                       min_lr=0.02),
    "ReduceLROnPlateau_max_abs": lambda o: S.ReduceLROnPlateau(o, mode="max",
                                                               threshold_mode="abs",
                                                               threshold=0.05, patience=0),
}


def _optimizer(name):
    p = disttrain.zeros(2, requires_grad=True)
    if name.endswith("_adam"):
        return Adam([p], lr=0.1)
    return SGD([p], lr=0.1, momentum=0.9)


def _run(name, steps=15):
    opt = _optimizer(name)
    sched = CASES[name](opt)
    lrs, momenta = [opt.param_groups[0]["lr"]], []
    for i in range(steps):
        opt.step()
        if name.startswith("ReduceLROnPlateau"):
            sched.step(PLATEAU_METRICS[i])
        else:
            sched.step()
        lrs.append(sched.get_last_lr()[0])
        group = opt.param_groups[0]
        momenta.append(group["betas"][0] if "betas" in group else group["momentum"])
    return lrs, momenta, opt, sched


@pytest.mark.parametrize("name", list(CASES))
def test_lr_sequence_matches_pytorch(name):
    """The scheduler's lr after each of 15 steps equals PyTorch's (and the optimizer's lr)."""
    lrs, momenta, opt, _ = _run(name)
    assert lrs == pytest.approx(LRS[name], rel=1e-12, abs=1e-15)
    assert opt.param_groups[0]["lr"] == lrs[-1]
    if name in MOMENTA:
        assert momenta == pytest.approx(MOMENTA[name], rel=1e-12)


@pytest.mark.parametrize("name", [n for n in CASES if not n.startswith("ReduceLROnPlateau")])
def test_resume_from_state_dict(name):
    """A scheduler rebuilt from state_dict (optimizer too) continues the same sequence."""
    lrs, _, _, _ = _run(name)
    opt = _optimizer(name)
    sched = CASES[name](opt)
    for _ in range(6):
        opt.step()
        sched.step()
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    opt2 = _optimizer(name)
    sched2 = CASES[name](opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    rest = []
    for _ in range(9):
        opt2.step()
        sched2.step()
        rest.append(sched2.get_last_lr()[0])
    assert rest == pytest.approx(lrs[7:], rel=1e-12, abs=1e-15)


def test_plateau_resume_from_state_dict():
    """ReduceLROnPlateau restores its best value, counters and mode from state_dict."""
    opt = _optimizer("ReduceLROnPlateau")
    sched = CASES["ReduceLROnPlateau"](opt)
    for m in PLATEAU_METRICS[:5]:
        sched.step(m)
    saved = sched.state_dict()
    opt2 = _optimizer("ReduceLROnPlateau")
    opt2.load_state_dict(opt.state_dict())
    sched2 = S.ReduceLROnPlateau(opt2)
    sched2.load_state_dict(saved)
    for m in PLATEAU_METRICS[5:]:
        sched2.step(m)
    assert sched2.get_last_lr()[0] == LRS["ReduceLROnPlateau"][-1]


def test_state_dict_holds_pytorch_attributes():
    """StepLR's state_dict has PyTorch's keys, in order, and not the optimizer."""
    opt = _optimizer("StepLR")
    sched = S.StepLR(opt, 3)
    assert list(sched.state_dict().items()) == [
        ("step_size", 3), ("gamma", 0.1), ("base_lrs", [0.1]), ("last_epoch", 0),
        ("_step_count", 1), ("_is_initial", False), ("_get_lr_called_within_step", False),
        ("_last_lr", [0.1])]
    assert opt.param_groups[0]["initial_lr"] == 0.1


def test_warns_when_stepped_before_the_optimizer():
    """scheduler.step() before any optimizer.step() warns as PyTorch does; the right order
    does not."""
    opt = _optimizer("StepLR")
    sched = S.StepLR(opt, 3)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before "
                                         r"`optimizer.step\(\)`"):
        sched.step()
    opt2 = _optimizer("StepLR")
    sched2 = S.StepLR(opt2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt2.step()
        sched2.step()


def test_get_lr_outside_step_warns():
    """Calling get_lr() directly points the user to get_last_lr()."""
    sched = S.ExponentialLR(_optimizer("ExponentialLR"), gamma=0.5)
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        sched.get_lr()


def test_epoch_argument_uses_the_closed_form():
    """step(epoch) jumps straight to that epoch's closed-form lr, with the deprecation
    warning."""
    opt = _optimizer("StepLR")
    sched = S.StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        sched.step(5)
    assert sched.get_last_lr() == [0.1 * 0.25]


def test_tutorial_cosine_schedule_reaches_eta_min():
    """CosineAnnealingLR(T_max=50, eta_min=0) from the tutorial is at 0 after 50 epochs and
    halfway after 25."""
    opt = _optimizer("CosineAnnealingLR")
    sched = S.CosineAnnealingLR(opt, T_max=50, eta_min=0)
    seen = []
    for _ in range(50):
        opt.step()
        sched.step()
        seen.append(sched.get_last_lr()[0])
    assert seen[24] == pytest.approx(0.05, rel=1e-12)
    assert math.isclose(seen[49], 0.0, abs_tol=1e-15)


def test_per_group_lambdas():
    """LambdaLR accepts one function per param group; a wrong count is refused."""
    a, b = disttrain.zeros(1, requires_grad=True), disttrain.zeros(1, requires_grad=True)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    sched = S.LambdaLR(opt, [lambda e: 0.5 ** e, lambda e: e + 1])
    opt.step()
    sched.step()
    assert sched.get_last_lr() == [0.05, 2.0]
    with pytest.raises(ValueError, match="^Expected 2 lr_lambdas, but got 1$"):
        S.LambdaLR(opt, [lambda e: 1.0])


@pytest.mark.parametrize("make,exc,message", [
    (lambda o: S.StepLR(object(), 3), TypeError, "object is not an Optimizer"),
    (lambda o: S.StepLR(o, 3, last_epoch=4), KeyError,
     "param 'initial_lr' is not specified in param_groups[0] when resuming scheduler"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2), S.StepLR(o, 3)], milestones=[]), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more than the "
     "number of milestone points, but got number of schedulers 2 and the number of "
     "milestones to be equal to 0"),
    (lambda o: S.SequentialLR(o, [S.ReduceLROnPlateau(o)], milestones=[]), ValueError,
     "SequentialLR does not support `ReduceLROnPlateau` scheduler"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1), ValueError,
     "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, pct_start=1), ValueError,
     "Expected float between 0 and 1 pct_start, but got 1"),
    (lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
    (lambda o: S.ReduceLROnPlateau(o, mode="median"), ValueError, "mode median is unknown!"),
    (lambda o: S.LinearLR(o, start_factor=0), ValueError,
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."),
    (lambda o: S.ConstantLR(o, factor=2), ValueError,
     "Constant multiplicative factor expected to be between 0 and 1."),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), ValueError,
     "mode is invalid and scale_fn is None"),
])
def test_invalid_arguments(make, exc, message):
    """Bad scheduler arguments raise PyTorch's exception and message."""
    with pytest.raises(exc) as info:
        make(_optimizer("x"))
    assert message in str(info.value)


def test_cycle_momentum_needs_momentum():
    """Cycling momentum on an optimizer without momentum or betas is refused."""
    opt = Adagrad([disttrain.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1 with "
                                         "`cycle_momentum` option enabled"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=10)


def test_one_cycle_refuses_steps_past_the_end():
    """OneCycleLR raises once stepped beyond total_steps."""
    opt = _optimizer("OneCycleLR_cos")
    sched = S.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    opt.step()
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match="^Tried to step 3 times. The specified number of "
                                         "total steps is 2$"):
        sched.step()
