"""The use-cases, written once for every store: each runs inside one unit of work (`Storage.write` or
`Storage.read`) over the ports of referrals/ports.py, so a rule lives in exactly one place.

One module per area: clients and channels, referrals, deals (with the closed-month guard), months
(closing, reopening, checksums), statements (a period's statement and its files for every front end),
imports, transfer (backup, restore, migrate) and requests (workspaces, tokens, idempotency keys).
"""
