"""mlci: GitHub Actions for ML teams, and the command-line tool behind them."""

__version__ = "0.1.0"
