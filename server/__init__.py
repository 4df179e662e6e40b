"""Podium: a hybrid conference participation platform."""

__version__ = "0.1.0"
