"""The `referrals` command line: a thin adapter over the same store and use-cases as the API."""

from cli import attribution as _attribution  # noqa: F401  (registers its commands)
from cli import check as _check  # noqa: F401  (registers its commands)
from cli import data as _data  # noqa: F401  (registers its commands)
from cli import network as _network  # noqa: F401  (registers its commands)
from cli import record as _record  # noqa: F401  (registers its commands)
from cli.main import cli, main

__all__ = ["cli", "main"]
