"""Entry point of ``python -m kam_metrics``."""

import sys

from kam_metrics.cli import main

sys.exit(main())
