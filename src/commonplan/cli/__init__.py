"""The command line: ``commonplan …``, a thin layer over the library.

Each module registers one group of commands on :data:`app`; :mod:`~commonplan.cli._common`
holds what they share (the error mapping, argument readers).
"""

from commonplan.cli.economy import app

__all__ = ["app"]
