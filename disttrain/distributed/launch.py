"""``python -m disttrain.distributed.launch``: ``python -m torch.distributed.launch``.

torchrun's predecessor, kept for the scripts and docs that still start jobs with it: the
``launch`` command plus ``--use-env``; without that flag each worker also gets
``--local-rank=N`` before its own arguments, as PyTorch's does.
"""
__all__ = ["main"]


def main(args=None):
    """Run ``launch`` as ``torch.distributed.launch`` with ``args`` (default
    ``sys.argv[1:]``)."""
    from launch.cli import main as launch_main
    launch_main(args, legacy=True)


if __name__ == "__main__":
    main()
