"""Production defaults for gunicorn; each can be overridden by an environment variable."""

import multiprocessing
import os

bind = os.environ.get("REFERRALS_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("REFERRALS_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
threads = int(os.environ.get("REFERRALS_THREADS", 2))
timeout = int(os.environ.get("REFERRALS_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("REFERRALS_LOG_LEVEL", "info")
# Never log request headers: they carry bearer tokens.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
