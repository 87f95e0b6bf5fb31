"""gunicorn integration: the store set up once in the master, and answers gunicorn writes itself
(before the app runs) as problem+json.

gunicorn.conf.py calls `prepare_store` when the master starts, before any worker exists: a new store
is set up and an older one upgraded there, once, so no worker boots behind the upgrade's write lock (on
SQLite a worker waits 30 s for it, then starts on a store it takes for unreachable) and the upgrade is
logged once; the workers' apps then find the schema current.

gunicorn refuses some requests before they reach Flask (a request line or headers too long, a
malformed request) and writes a small HTML page for them. Installed in each worker by
gunicorn.conf.py, `write_problem` takes the place of that page so every answer a client can get,
from the app or from gunicorn, has the one error envelope of the API.
"""

from __future__ import annotations

import json
import socket
from typing import TYPE_CHECKING

from gunicorn import util

if TYPE_CHECKING:
    from api import WarningLog

PROBLEM = "application/problem+json"


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Write an error answer as RFC 9457 problem details and close the connection."""
    body = json.dumps({"type": "about:blank", "title": reason.lower(), "status": status_int, "detail": mesg})
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM}\r\n"
        f"X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nContent-Length: {len(body.encode())}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body.encode())


def prepare_store(log: WarningLog) -> None:
    """Set up or upgrade the configured store (REFERRALS_DATABASE_URL), then close it: nothing opened
    here is inherited by the workers. A bad setting stops the service with its reason in one line; a
    store not reachable yet is logged, and the workers try again."""
    from api import set_up_store
    from graph import open_store
    from referrals.config import Settings
    from referrals.errors import Invalid

    try:
        store = open_store(Settings.from_env().database_url)
    except Invalid as e:  # a setting the service cannot start with: said in one line, no traceback
        log.error("cannot start: %s", e)
        raise SystemExit(1) from None
    try:
        set_up_store(store, log)
    finally:
        store.close()


def install() -> None:
    """Make gunicorn's own error answers problem+json in this worker process."""
    util.write_error = write_problem
