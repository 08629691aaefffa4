"""Entry point for ``python -m mlci``."""

import sys

from mlci.cli import main

if __name__ == "__main__":
    sys.exit(main())
