"""`python -m streams.cli`: the `cordwatch` command without its console script."""

import sys

from streams.cli import main

sys.exit(main())
