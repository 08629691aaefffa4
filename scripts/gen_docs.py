#!/usr/bin/env python3
"""``make docs``: rewrite the generated tables of README.md and docs/*.md (scripts/devtools/gen_docs.py)."""

import sys

from devtools.gen_docs import main  # scripts/ is on the path: this script's own directory

if __name__ == "__main__":
    sys.exit(main())
