"""The referrals domain: records, rules and use-cases, free of web, CLI and database code."""

__version__ = "0.1.0"
