"""``torch.distributed.elastic.multiprocessing.errors``: report a worker's error to launch.

Decorate the entry point with :func:`record` so that an uncaught exception is written to
``TORCHELASTIC_ERROR_FILE`` for the launcher's root-cause report (``launch`` and torchrun
set it). Under ``launch`` this also happens without the decorator once
:mod:`disttrain.comm` is imported (by ``init_process_group``).
"""
import functools

from .....comm.errorfile import ErrorHandler

__all__ = ["record", "ErrorHandler"]


def record(fn, error_handler=None):
    """Decorate ``fn`` so that an exception escaping it is written to the error file.

    Args:
        fn (callable): the worker's entry point (usually ``main``).
        error_handler (ErrorHandler, optional): what writes the file.

    Example::

        >>> from disttrain.distributed.elastic.multiprocessing.errors import record
        >>> @record
        ... def main():
        ...     ...
    """
    handler = error_handler or ErrorHandler()

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        handler.initialize()
        try:
            return fn(*args, **kwargs)
        except SystemExit as exc:
            if exc.code in (None, 0):
                return None
            raise
        except Exception as exc:
            handler.record_exception(exc)
            raise
    return wrapper
