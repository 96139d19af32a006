"""Marea: the web platform, its data model, queue glue and the `marea` command."""

__version__ = "0.1.0"
