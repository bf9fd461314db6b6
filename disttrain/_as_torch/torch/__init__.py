# A ``torch`` package that is disttrain. Its folder is put first on the path (and on
# PYTHONPATH, so spawned processes and launched workers see it too) only by
# ``python -m disttrain.as_torch`` or ``launch --as-torch``; importing it installs the alias
# for every ``torch.<x>`` and then stands aside for disttrain itself.
import sys

from disttrain import _torch_alias

_torch_alias.install()
sys.modules[__name__] = sys.modules["disttrain"]
