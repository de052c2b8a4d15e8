"""``python -m compute``: the batch command line (see :mod:`compute.cli`)."""

import sys

from compute.cli import main

if __name__ == "__main__":
    sys.exit(main())
