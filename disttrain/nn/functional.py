"""Functional forms of the layers: ``F.relu``, ``F.cross_entropy``, ``F.linear``..."""
__all__ = []

from ._spatial import *  # noqa: F401,F403,E402
