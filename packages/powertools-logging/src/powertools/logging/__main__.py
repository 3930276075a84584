"""``python -m powertools.logging``: the ``powertools-logging`` command (see ``cli``)."""

from powertools.logging.cli import main

raise SystemExit(main())
