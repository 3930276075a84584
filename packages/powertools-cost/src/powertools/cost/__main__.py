"""``python -m powertools.cost``: the ``powertools-cost`` command."""

import sys

from powertools.cost._cli import main

sys.exit(main())
