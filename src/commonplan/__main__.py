"""``python -m commonplan``: the same as the ``commonplan`` command."""

from commonplan.cli.economy import app

app(prog_name="commonplan")
