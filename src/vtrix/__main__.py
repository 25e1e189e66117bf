"""``python -m vtrix`` is the ``vtrix`` command."""

from vtrix.cli.main import main

main()
