"""Utilities over a model's parameters."""
__all__ = []
