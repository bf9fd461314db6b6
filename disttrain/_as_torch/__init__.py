"""Holds the ``torch`` package that is disttrain (see ``disttrain.as_torch``)."""
