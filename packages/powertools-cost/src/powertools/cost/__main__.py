"""``python -m powertools.cost``: the ``powertools-cost`` command."""

import sys

from powertools.cost.cli import main

sys.exit(main())
