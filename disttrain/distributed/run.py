"""``python -m disttrain.distributed.run``: torchrun (``python -m torch.distributed.run``).

The same as the ``launch`` command; see :mod:`launch.cli` for its flags.
"""
__all__ = ["main"]


def main(args=None):
    """Run ``launch`` with ``args`` (default ``sys.argv[1:]``)."""
    from launch.cli import main as launch_main
    launch_main(args)


if __name__ == "__main__":
    main()
