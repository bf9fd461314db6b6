"""swa_utils: AveragedModel (SWA and EMA, per tensor or over lists, with or without
buffers), SWALR's learning rates and update_bn, against PyTorch 2.13's values."""
import copy

import numpy as np
import pytest

import disttrain
from disttrain import nn
from disttrain.optim import SGD
from disttrain.optim.swa_utils import (SWALR, AveragedModel, get_ema_avg_fn,
                                       get_ema_multi_avg_fn, get_swa_avg_fn,
                                       get_swa_multi_avg_fn, update_bn)

# ``AveragedModel(Sequential(Linear(2, 2), BatchNorm1d(2)), **options).state_dict()`` values
# (n_averaged, weight, bias, bn weight, bn bias, running_mean, running_var,
# num_batches_tracked) after four updates from a model refilled by ``fill(model, k)``.
OPTIONS = {"swa": {}, "ema": dict(avg_fn=get_ema_avg_fn(0.9)),
           "ema_multi": dict(multi_avg_fn=get_ema_multi_avg_fn(0.9)),
           "swa_multi": dict(multi_avg_fn=get_swa_multi_avg_fn()),
           "ema_multi_buffers": dict(multi_avg_fn=get_ema_multi_avg_fn(0.9), use_buffers=True),
           "swa_buffers": dict(use_buffers=True)}
EXPECTED_F64 = {'swa': [[4],
                        [0.0, 0.9249999999999999, 1.8499999999999999, 2.7749999999999995],
                        [-1.0, -0.07500000000000001],
                        [-2.0, -1.075],
                        [-3.0, -2.0749999999999997],
                        [-4.0, -2.52],
                        [-5.0, -3.52],
                        [10]],
                'ema': [[4],
                        [0.0, 0.5775699999999999, 1.1551399999999998, 1.73271],
                        [-1.0, -0.4224300000000001],
                        [-2.0, -1.4224299999999999],
                        [-3.0, -2.4224300000000003],
                        [-4.0, -2.52],
                        [-5.0, -3.52],
                        [10]],
                'ema_multi': [[4],
                              [0.0, 0.5775699999999999, 1.1551399999999998, 1.7327099999999995],
                              [-1.0, -0.4224300000000001],
                              [-2.0, -1.42243],
                              [-3.0, -2.42243],
                              [-4.0, -2.52],
                              [-5.0, -3.52],
                              [10]],
                'swa_multi': [[4],
                              [0.0, 0.9250000041350722, 1.8500000082701444, 2.7750000124052168],
                              [-1.0, -0.07499999586492781],
                              [-2.0, -1.0749999958649277],
                              [-3.0, -2.0749999958649274],
                              [-4.0, -2.52],
                              [-5.0, -3.52],
                              [10]],
                'ema_multi_buffers': [[4],
                                      [0.0,
                                       0.5775699999999999,
                                       1.1551399999999998,
                                       1.7327099999999995],
                                      [-1.0, -0.4224300000000001],
                                      [-2.0, -1.42243],
                                      [-3.0, -2.42243],
                                      [-4.0, -3.42243],
                                      [-5.0, -4.42243],
                                      [1]],
                'swa_buffers': [[4],
                                [0.0,
                                 0.9249999999999999,
                                 1.8499999999999999,
                                 2.7749999999999995],
                                [-1.0, -0.07500000000000001],
                                [-2.0, -1.075],
                                [-3.0, -2.0749999999999997],
                                [-4.0, -3.0749999999999997],
                                [-5.0, -4.075],
                                [4]]}
EXPECTED_F32 = {'swa': [[4],
                        [0.0, 0.925000011920929, 1.850000023841858, 2.7750000953674316],
                        [-1.0, -0.07499998807907104],
                        [-2.0, -1.0750000476837158],
                        [-3.0, -2.075000286102295],
                        [-4.0, -2.5199999809265137],
                        [-5.0, -3.5199999809265137],
                        [10]],
                'ema': [[4],
                        [0.0, 0.5775699615478516, 1.1551399230957031, 1.7327100038528442],
                        [-1.0, -0.42242997884750366],
                        [-2.0, -1.4224299192428589],
                        [-2.999999761581421, -2.4224300384521484],
                        [-4.0, -2.5199999809265137],
                        [-5.0, -3.5199999809265137],
                        [10]],
                'ema_multi': [[4],
                              [0.0, 0.5775700211524963, 1.1551400423049927, 1.7327100038528442],
                              [-1.0, -0.42243000864982605],
                              [-2.0, -1.4224299192428589],
                              [-3.0, -2.4224300384521484],
                              [-4.0, -2.5199999809265137],
                              [-5.0, -3.5199999809265137],
                              [10]],
                'swa_multi': [[4],
                              [0.0, 0.925000011920929, 1.850000023841858, 2.7750000953674316],
                              [-1.0, -0.07499998807907104],
                              [-2.0, -1.0750000476837158],
                              [-3.0, -2.075000047683716],
                              [-4.0, -2.5199999809265137],
                              [-5.0, -3.5199999809265137],
                              [10]],
                'ema_multi_buffers': [[4],
                                      [0.0,
                                       0.5775700211524963,
                                       1.1551400423049927,
                                       1.7327100038528442],
                                      [-1.0, -0.42243000864982605],
                                      [-2.0, -1.4224299192428589],
                                      [-3.0, -2.4224300384521484],
                                      [-4.0, -3.4224300384521484],
                                      [-5.0, -4.422430038452148],
                                      [1]],
                'swa_buffers': [[4],
                                [0.0, 0.925000011920929, 1.850000023841858, 2.7750000953674316],
                                [-1.0, -0.07499998807907104],
                                [-2.0, -1.0750000476837158],
                                [-3.0, -2.075000286102295],
                                [-4.0, -3.075000047683716],
                                [-5.0, -4.075000286102295],
                                [4]]}

# SWALR(SGD([group lr 0.5, group lr 0.3]), **options): get_last_lr() at creation and after
# each of five steps.
SWALR_LRS = [({'swa_lr': 0.05},
              [[0.5, 0.3],
               [0.48898771616640957, 0.2938820645368942],
               [0.45702882373436315, 0.2761271242968684],
               [0.40725168176580645, 0.24847315653655913],
               [0.34452882373436317, 0.21362712429686842],
               [0.275, 0.175]]),
             ({'swa_lr': [0.05, 0.2], 'anneal_epochs': 3, 'anneal_strategy': 'linear'},
              [[0.5, 0.3],
               [0.35000000000000003, 0.26666666666666666],
               [0.2, 0.23333333333333334],
               [0.05, 0.2],
               [0.05, 0.2],
               [0.05, 0.2]]),
             ({'swa_lr': 0.01, 'anneal_epochs': 0},
              [[0.01, 0.01],
               [0.01, 0.01],
               [0.01, 0.01],
               [0.01, 0.01],
               [0.01, 0.01],
               [0.01, 0.01]])]


def fill(model, k):
    with disttrain.no_grad():
        for i, t in enumerate(list(model.parameters()) + list(model.buffers())):
            if t.is_floating_point():
                t.copy_(disttrain.arange(t.numel(), dtype=t.dtype).reshape(t.shape) *
                        (k + 1) * 0.37 - i)
            else:
                t.fill_(k * 3 + 1)


def averaged(dtype, options):
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).to(dtype)
    avg = AveragedModel(model, **options)
    for k in range(4):
        fill(model, k)
        avg.update_parameters(model)
    return avg


@pytest.mark.parametrize("name", list(OPTIONS))
def test_averaged_model_matches_pytorch(name):
    """Four updates give PyTorch's averages in float64 and float32; integer buffers
    (num_batches_tracked) average as integers with use_buffers, else are copied."""
    for dtype, expected, rtol in ((disttrain.float64, EXPECTED_F64, 1e-13),
                                  (disttrain.float32, EXPECTED_F32, 3e-7)):
        sd = averaged(dtype, OPTIONS[name]).state_dict()
        assert list(sd) == ["n_averaged", "module.0.weight", "module.0.bias", "module.1.weight",
                            "module.1.bias", "module.1.running_mean", "module.1.running_var",
                            "module.1.num_batches_tracked"]
        for t, e in zip(sd.values(), expected[name]):
            np.testing.assert_allclose(t.numpy().ravel(), e, rtol=rtol, atol=1e-7)
        assert sd["n_averaged"].dtype == disttrain.int64


def test_averaged_model_is_a_copy_and_forwards():
    """The averaged model owns a deep copy and calls it."""
    model = nn.Linear(2, 1)
    avg = AveragedModel(model)
    assert avg.module is not model and avg.module.weight is not model.weight
    x = disttrain.tensor([[1.0, 2.0]])
    assert disttrain.equal(avg(x), model(x))
    assert repr(avg) == ("AveragedModel(\n  (module): Linear(in_features=2, out_features=1, "
                         "bias=True)\n)")


def test_avg_fn_errors():
    """PyTorch's errors for a bad decay and for both averaging functions."""
    with pytest.raises(ValueError, match=r"^Invalid decay value 1.5 provided. Please provide a "
                                         r"value in \[0,1\] range.$"):
        get_ema_avg_fn(1.5)
    with pytest.raises(ValueError, match="Invalid decay value -0.1"):
        get_ema_multi_avg_fn(-0.1)
    with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn"):
        AveragedModel(nn.Linear(1, 1), avg_fn=get_swa_avg_fn(),
                      multi_avg_fn=get_swa_multi_avg_fn())


@pytest.mark.parametrize("options,lrs", SWALR_LRS, ids=[str(o) for o, _ in SWALR_LRS])
def test_swalr_matches_pytorch(options, lrs):
    """SWALR's learning rates, cosine or linear, per group, with zero anneal epochs."""
    p = disttrain.zeros(1, requires_grad=True)
    q = disttrain.zeros(1, requires_grad=True)
    opt = SGD([{"params": [p]}, {"params": [q], "lr": 0.3}], lr=0.5)
    sched = SWALR(opt, **options)
    got = [sched.get_last_lr()]
    for _ in range(5):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr())
    np.testing.assert_allclose(got, lrs, rtol=1e-14)


def test_swalr_state_dict_and_errors():
    """state_dict leaves out the optimizer and the anneal function (PyTorch's keys);
    loading it restores the strategy. Bad arguments raise PyTorch's errors."""
    opt = SGD([disttrain.zeros(1, requires_grad=True)], lr=0.5)
    sched = SWALR(opt, swa_lr=0.1, anneal_strategy="linear")
    sd = sched.state_dict()
    assert sorted(sd) == ["_anneal_strategy", "_get_lr_called_within_step", "_is_initial",
                          "_last_lr", "_step_count", "anneal_epochs", "base_lrs", "last_epoch"]
    other = SWALR(SGD([disttrain.zeros(1, requires_grad=True)], lr=0.5), swa_lr=0.1)
    other.load_state_dict(copy.deepcopy(sd))
    assert other.anneal_func is SWALR._linear_anneal
    with pytest.raises(ValueError, match="^anneal_strategy must be one of 'cos' or 'linear', "
                                         "instead got exp$"):
        SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
    with pytest.raises(ValueError, match="^anneal_epochs must be equal or greater than 0, "
                                         "got -1$"):
        SWALR(opt, swa_lr=0.1, anneal_epochs=-1)


def test_update_bn_matches_pytorch():
    """update_bn recomputes BatchNorm statistics as a cumulative average over the loader's
    batches (tensors or (input, target) tuples), restores momentum and the training mode."""
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    with disttrain.no_grad():
        model[0].weight.copy_(disttrain.tensor([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]]))
        model[0].bias.copy_(disttrain.tensor([0.1, -0.2]))
    data = [disttrain.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]),
            (disttrain.tensor([[-1.0, 0.0, 1.0], [2.0, 2.0, -2.0], [0.3, 0.1, 0.0]]),
             disttrain.zeros(3))]
    model.eval()
    update_bn(data, model)
    bn = model[1]
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.4325000047683716, -0.5508334040641785],
                               rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [0.07402501255273819, 1.2339417934417725],
                               rtol=1e-6)
    assert bn.num_batches_tracked.item() == 2 and bn.momentum == 0.1 and not model.training


def test_update_bn_without_batchnorm_does_nothing():
    """A model without BatchNorm layers is left alone (its loader is not even read)."""
    def loader():
        raise AssertionError("read")
        yield
    update_bn(loader(), nn.Linear(2, 2))
