"""The ``launch`` command: start, watch, restart and stop a job's worker processes.

See :mod:`launch.cli` for the flags, the environment each worker gets, and what happens
when a worker or the launcher fails.
"""
__all__ = ["main"]


def main(argv=None):
    """Run the ``launch`` command line (``argv`` defaults to ``sys.argv[1:]``)."""
    from .cli import main as cli_main
    return cli_main(argv)
