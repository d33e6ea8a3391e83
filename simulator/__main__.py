"""`python -m simulator`: simulated OCPP 1.6J charge points (see simulator.cli)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
