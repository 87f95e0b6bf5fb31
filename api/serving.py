"""gunicorn integration: answers gunicorn writes itself (before the app runs) are problem+json too.

gunicorn refuses some requests before they reach Flask (a request line or headers too long, a
malformed request) and writes a small HTML page for them. Installed in each worker by
gunicorn.conf.py, `write_problem` takes the place of that page so every answer a client can get,
from the app or from gunicorn, has the one error envelope of the API.
"""

from __future__ import annotations

import json
import socket

from gunicorn import util

PROBLEM = "application/problem+json"


def write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Write an error answer as RFC 9457 problem details and close the connection."""
    body = json.dumps({"type": "about:blank", "title": reason.lower(), "status": status_int, "detail": mesg})
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM}\r\n"
        f"X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nContent-Length: {len(body.encode())}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body.encode())


def install() -> None:
    """Make gunicorn's own error answers problem+json in this worker process."""
    util.write_error = write_problem
