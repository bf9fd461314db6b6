"""``disttrain.autograd.profiler``: time the code blocks marked with ``record_function``.

Inside ``profile()``, each ``record_function(name)`` block is timed by the host's wall clock
(``time.perf_counter_ns``) and kept as a ``FunctionEvent``; ``key_averages().table()`` prints
them grouped by name, with self time (the block's time minus that of blocks nested in it).
disttrain does not time its individual ops, nor GPU kernels: options asking for those
(``use_cuda``, ``record_shapes``, ``profile_memory``, ``with_flops``) raise.
"""
import json
import os
import threading
import time

__all__ = ["profile", "record_function", "FunctionEvent", "FunctionEventAvg", "EventList"]

_active = threading.local()


def _stack():
    if not hasattr(_active, "profilers"):
        _active.profilers, _active.open = [], []
    return _active


class Interval:
    """A start and end time in microseconds."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def elapsed_us(self):
        return self.end - self.start


class FunctionEvent:
    """One timed block: its name, thread, times (microseconds) and nested blocks."""

    def __init__(self, name, thread, start_us, end_us, depth):
        self.name = self.key = name
        self.thread = thread
        self.time_range = Interval(start_us, end_us)
        self.depth = depth
        self.cpu_children = []
        self.count = 1

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self):
        return self.cpu_time_total

    def __repr__(self):
        return (f"<FunctionEvent name={self.name} thread={self.thread} "
                f"cpu_time={self.cpu_time_total:.3f}us>")


class FunctionEventAvg:
    """The events of one name added up: ``count``, ``cpu_time_total``, ``self_cpu_time_total``
    and the average ``cpu_time``."""

    def __init__(self, key):
        self.key = key
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0

    def add(self, ev):
        self.count += 1
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        return self

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total:.3f}"
                f"us cpu_time={self.cpu_time:.3f}us count={self.count}>")


def _fmt_us(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """A list of events with PyTorch's summaries."""

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        if group_by_input_shape:
            raise NotImplementedError("disttrain's profiler records no input shapes")
        avgs = {}
        for ev in self:
            avgs.setdefault(ev.key, FunctionEventAvg(ev.key)).add(ev)
        return EventList(avgs.values())

    def total_average(self):
        tot = FunctionEventAvg("Total")
        for ev in self:
            tot.count += ev.count
            tot.cpu_time_total += ev.cpu_time_total
            tot.self_cpu_time_total += ev.self_cpu_time_total
        return tot

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False):
        rows = list(self)
        if sort_by is not None:
            key = sort_by
            if key not in ("cpu_time_total", "self_cpu_time_total", "cpu_time", "count"):
                raise AttributeError(f"disttrain's profiler can sort by cpu_time_total, "
                                     f"self_cpu_time_total, cpu_time or count, not {sort_by!r}")
            rows.sort(key=lambda e: getattr(e, key), reverse=True)
        if row_limit is not None and row_limit > 0:
            rows = rows[:row_limit]
        self_total = sum(e.self_cpu_time_total for e in self) or 1.0
        name_w = max([len("Name")] + [len(str(e.key)) for e in rows]) + 2
        name_w = min(name_w, max_name_column_width)
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                "# of Calls"]
        line = "-" * name_w + "  " + "  ".join("-" * 12 for _ in cols) + "  "
        out = [line, f"{'Name':>{name_w}}  " + "  ".join(f"{c:>12}" for c in cols) + "  ",
               line]
        for e in rows:
            vals = [f"{100 * e.self_cpu_time_total / self_total:.2f}%",
                    _fmt_us(e.self_cpu_time_total),
                    f"{100 * e.cpu_time_total / self_total:.2f}%",
                    _fmt_us(e.cpu_time_total), _fmt_us(e.cpu_time), str(e.count)]
            out.append(f"{str(e.key)[:name_w]:>{name_w}}  " +
                       "  ".join(f"{v:>12}" for v in vals) + "  ")
        out.append(line)
        out.append(f"Self CPU time total: {_fmt_us(self_total if self else 0.0)}")
        return "\n".join(out) + "\n"

    def export_chrome_trace(self, path):
        events = [{"name": e.name, "ph": "X", "ts": e.time_range.start,
                   "dur": e.cpu_time_total, "pid": os.getpid(), "tid": e.thread,
                   "cat": "user_annotation"} for e in self]
        with open(path, "w") as f:
            json.dump({"traceEvents": events}, f)


class profile:
    """Context manager that collects the ``record_function`` blocks run inside it.

    Args:
        enabled (bool): with False, nothing is recorded.
        use_cuda, record_shapes, profile_memory, with_flops: not supported by disttrain's
            profiler (it times marked blocks on the host only); True raises.
    """

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None):
        for flag, name in ((use_cuda or use_device not in (None, "cpu"), "GPU timing"),
                           (record_shapes, "record_shapes"),
                           (profile_memory, "profile_memory"), (with_flops, "with_flops")):
            if flag and enabled:
                raise NotImplementedError(f"disttrain's profiler times record_function blocks on "
                                          f"the host only; {name} is not supported")
        self.enabled = enabled
        self.function_events = None
        self._events = []

    def __enter__(self):
        if self.enabled:
            st = _stack()
            st.profilers.append(self)
        return self

    def __exit__(self, *exc):
        if self.enabled:
            st = _stack()
            st.profilers.remove(self)
            self.function_events = EventList(sorted(self._events,
                                                    key=lambda e: e.time_range.start))
        return False

    def _check(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    def events(self):
        self._check()
        return self.function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        self._check()
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, *args, **kwargs):
        self._check()
        return self.function_events.table(*args, **kwargs)

    def total_average(self):
        self._check()
        return self.function_events.total_average()

    def export_chrome_trace(self, path):
        self._check()
        return self.function_events.export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        self._check()
        return sum(e.self_cpu_time_total for e in self.function_events)

    def __str__(self):
        return self.table() if self.function_events is not None else "<unfinished profile>"


class record_function:
    """Context manager (or decorator) that marks a block for the active ``profile``.

    Example::

        >>> with profile() as prof:
        ...     with record_function("forward"):
        ...         y = model(x)
        >>> print(prof.key_averages().table())
    """

    def __init__(self, name, args=None):
        self.name, self.args = name, args
        self._start = None

    def __enter__(self):
        st = _stack()
        self._parent = st.open[-1] if st.open else None
        st.open.append(self)
        self._event = None
        self._start = time.perf_counter_ns()
        return self

    def __exit__(self, *exc):
        end = time.perf_counter_ns()
        st = _stack()
        if st.open and st.open[-1] is self:
            st.open.pop()
        if st.profilers:
            ev = FunctionEvent(self.name, threading.get_ident(), self._start / 1e3, end / 1e3,
                               len(st.open))
            self._event = ev
            # nested blocks finish first; they become children of the enclosing block
            for prof in st.profilers:
                prof._events.append(ev)
            for child in getattr(self, "_children", ()):
                ev.cpu_children.append(child)
            if self._parent is not None:
                self._parent.__dict__.setdefault("_children", []).append(ev)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper
