"""Subcommands of ``python -m compute``; one module each (see :mod:`compute.cli`)."""
