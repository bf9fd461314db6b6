"""``python -m launch ...``: the same as the ``launch`` command."""
from .cli import main

main()
