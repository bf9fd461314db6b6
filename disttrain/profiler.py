"""``disttrain.profiler``: PyTorch's newer profiler API over the same recorder as
``disttrain.autograd.profiler``: ``record_function`` blocks timed on the host."""
import enum

from .autograd.profiler import profile as _profile, record_function

__all__ = ["profile", "record_function", "ProfilerActivity"]


class ProfilerActivity(enum.Enum):
    CPU = 0
    CUDA = 2


class profile(_profile):
    """Context manager collecting ``record_function`` blocks (CPU activity only; schedules,
    trace handlers, shapes and memory are not supported and raise).

    ``step()`` counts steps, as PyTorch's does without a schedule.
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, custom_trace_id_callback=None):
        acts = set(activities or [ProfilerActivity.CPU])
        if acts - {ProfilerActivity.CPU}:
            raise NotImplementedError("disttrain's profiler times record_function blocks on the "
                                      "host only; CUDA activity is not supported")
        if schedule is not None or on_trace_ready is not None:
            raise NotImplementedError("disttrain's profiler does not support schedules or trace "
                                      "handlers")
        super().__init__(record_shapes=record_shapes, profile_memory=profile_memory,
                         with_flops=with_flops, use_cuda=bool(use_cuda))
        self.step_num = 0

    def step(self):
        self.step_num += 1

    def start(self):
        self.__enter__()

    def stop(self):
        self.__exit__(None, None, None)
