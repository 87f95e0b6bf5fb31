"""The `referrals` command line: a thin adapter over the same store and use-cases as the API."""

from cli.main import cli, main

__all__ = ["cli", "main"]
