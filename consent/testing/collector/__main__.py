"""`python -m consent.testing.collector`: run a local collector in the foreground."""

import sys

from consent.testing.collector.server import main

sys.exit(main())
