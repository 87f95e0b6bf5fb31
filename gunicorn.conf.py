"""Production defaults for gunicorn; each can be overridden by an environment variable."""

import multiprocessing
import os

bind = os.environ.get("REFERRALS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("REFERRALS_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("REFERRALS_THREADS", 2))
timeout = int(os.environ.get("REFERRALS_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# The app refuses URLs over 4 KiB itself (414 problem+json); gunicorn's own cap sits above that.
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("REFERRALS_LOG_LEVEL", "info")
# Never log request headers (they carry bearer tokens) nor query strings (searches carry names and
# emails): the path alone (%(U)s), the method, the status, the size and the time.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


def on_starting(server: object) -> None:
    """Set up or upgrade the store once, in the master, before any worker starts."""
    from api import serving

    serving.prepare_store(server.log)  # type: ignore[attr-defined]


def post_worker_init(worker: object) -> None:
    """Errors gunicorn answers itself (a URL over its cap, a malformed request) are problem+json too."""
    from api import serving

    serving.install()
