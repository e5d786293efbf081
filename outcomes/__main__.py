"""``python -m outcomes`` runs the command line, like the ``outcomes`` script."""

import sys

from outcomes.cli import main

sys.exit(main())
