"""``python -m commonplan``: the same as the ``commonplan`` command."""

from commonplan.cli import main

main()
