"""The public names of torch.optim, torch.optim.lr_scheduler and torch.optim.swa_utils
(PyTorch 2.13) that disttrain.optim provides, so that programs import them unchanged."""
import disttrain.optim
from disttrain.optim import lr_scheduler, swa_utils

# torch.optim.__all__.
OPTIM = ["Adafactor", "Adadelta", "Adagrad", "Adam", "Adamax", "AdamW", "ASGD", "LBFGS",
         "lr_scheduler", "Muon", "NAdam", "Optimizer", "RAdam", "RMSprop", "Rprop", "SGD",
         "SparseAdam", "swa_utils", "swap_in_optimizer_params_and_state"]
# dir(torch.optim.lr_scheduler) without underscores: the schedulers and the module-level
# names programs import from it.
LR_SCHEDULER = ["Any", "ChainedScheduler", "ConstantLR", "CosineAnnealingLR",
                "CosineAnnealingWarmRestarts", "Counter", "CyclicLR",
                "EPOCH_DEPRECATION_WARNING", "ExponentialLR", "LRScheduler", "LambdaLR",
                "LinearLR", "Literal", "MultiStepLR", "MultiplicativeLR", "OneCycleLR",
                "Optimizer", "PolynomialLR", "ReduceLROnPlateau", "Self", "SequentialLR",
                "StepLR", "SupportsFloat", "TYPE_CHECKING", "Tensor", "TypedDict",
                "annotations", "bisect_right", "cast", "inf", "math", "override", "partial",
                "ref", "types", "warnings", "wraps"]
SWA_UTILS = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn",
             "get_swa_multi_avg_fn", "get_ema_avg_fn", "get_swa_avg_fn"]


def test_optim_names():
    assert [n for n in OPTIM if not hasattr(disttrain.optim, n)] == []
    assert set(OPTIM) <= set(disttrain.optim.__all__)


def test_lr_scheduler_names():
    assert [n for n in LR_SCHEDULER if not hasattr(lr_scheduler, n)] == []
    assert lr_scheduler.override(len) is len


def test_swa_utils_names():
    assert swa_utils.__all__ == SWA_UTILS
