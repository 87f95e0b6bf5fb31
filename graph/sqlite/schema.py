"""The SQLite schema: migrations by version, each applied once in order (`SqliteStore.init_schema`)."""

from __future__ import annotations

import sqlite3

MIGRATIONS: dict[int, str | tuple[str, ...]] = {
    1: """
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE workspaces (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL
    );
    CREATE TABLE clients (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        id TEXT NOT NULL,
        name TEXT NOT NULL, name_key TEXT NOT NULL,
        email TEXT, status TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]',
        external_id TEXT, notes TEXT, acquired_on TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id),
        CONSTRAINT client_email UNIQUE (workspace_id, email),
        CONSTRAINT client_external_id UNIQUE (workspace_id, external_id)
    ) WITHOUT ROWID;
    CREATE TABLE channels (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        id TEXT NOT NULL,
        name TEXT NOT NULL, name_key TEXT NOT NULL, kind TEXT NOT NULL,
        url TEXT, external_id TEXT, notes TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id),
        CONSTRAINT channel_name UNIQUE (workspace_id, name_key),
        CONSTRAINT channel_external_id UNIQUE (workspace_id, external_id)
    ) WITHOUT ROWID;
    CREATE TABLE referrals (
        workspace_id TEXT NOT NULL,
        id TEXT NOT NULL,
        source_kind TEXT NOT NULL CHECK (source_kind IN ('client', 'channel')),
        source_id TEXT NOT NULL,
        client_id TEXT NOT NULL,
        referred_on TEXT NOT NULL, note TEXT,
        is_primary INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
        created_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id),
        FOREIGN KEY (workspace_id, client_id) REFERENCES clients(workspace_id, id),
        CONSTRAINT referral_pair UNIQUE (workspace_id, source_kind, source_id, client_id),
        CHECK (NOT (source_kind = 'client' AND source_id = client_id))
    ) WITHOUT ROWID;
    CREATE UNIQUE INDEX referral_one_primary ON referrals(workspace_id, client_id) WHERE is_primary = 1;
    CREATE INDEX referral_by_client ON referrals(workspace_id, client_id, is_primary);
    CREATE INDEX referral_by_source ON referrals(workspace_id, source_kind, source_id, is_primary);
    CREATE TABLE source_changes (
        workspace_id TEXT NOT NULL, seq INTEGER NOT NULL, client_id TEXT NOT NULL,
        previous_kind TEXT, previous_id TEXT, previous_referral_id TEXT,
        current_kind TEXT, current_id TEXT, referral_id TEXT,
        reason TEXT, changed_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, client_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE deals (
        workspace_id TEXT NOT NULL,
        id TEXT NOT NULL, client_id TEXT NOT NULL,
        amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, closed_on TEXT NOT NULL,
        title TEXT, external_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id),
        FOREIGN KEY (workspace_id, client_id) REFERENCES clients(workspace_id, id),
        CONSTRAINT deal_external_id UNIQUE (workspace_id, external_id)
    ) WITHOUT ROWID;
    CREATE INDEX deal_by_date ON deals(workspace_id, closed_on);
    CREATE INDEX deal_by_client ON deals(workspace_id, client_id);
    """,
    2: """
    CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'owner')),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        CONSTRAINT token_hash UNIQUE (token_hash)
    );
    CREATE INDEX token_by_workspace ON tokens(workspace_id);
    CREATE TABLE idempotency_keys (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER, body TEXT, location TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (workspace_id, key)
    ) WITHOUT ROWID;
    """,
    3: """
    CREATE INDEX client_by_acquired ON clients(workspace_id, acquired_on) WHERE acquired_on IS NOT NULL;
    CREATE INDEX referral_primary_by_date ON referrals(workspace_id, referred_on) WHERE is_primary = 1;
    CREATE TABLE closed_months (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
        month TEXT NOT NULL,
        closed_at TEXT NOT NULL,
        deals INTEGER NOT NULL,
        new_clients INTEGER NOT NULL,
        checksum TEXT NOT NULL,
        PRIMARY KEY (workspace_id, month)
    ) WITHOUT ROWID;
    CREATE TABLE closed_month_lines (
        workspace_id TEXT NOT NULL,
        month TEXT NOT NULL,
        chunk INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (workspace_id, month, chunk),
        FOREIGN KEY (workspace_id, month) REFERENCES closed_months(workspace_id, month) ON DELETE CASCADE
    ) WITHOUT ROWID;
    """,
    # One statement an item (a tuple needs no splitting on semicolons).
    4: (
        # Idempotency records of earlier versions may hold a token's secret in their body: drop them all
        # (they only answer retries); claims now carry their own id and every record expires.
        "DELETE FROM idempotency_keys",
        "ALTER TABLE idempotency_keys ADD COLUMN claim TEXT",
        "CREATE INDEX idempotency_by_age ON idempotency_keys(workspace_id, created_at)",
    ),
    # Clients get a phone number (E.164), looked up when contacts are matched.
    5: (
        "ALTER TABLE clients ADD COLUMN phone TEXT",
        "CREATE INDEX client_by_phone ON clients(workspace_id, phone) WHERE phone IS NOT NULL",
    ),
    # Every import is a batch that can be undone.
    6: (
        "CREATE TABLE import_batches ("
        " workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
        " id TEXT NOT NULL, created_at TEXT NOT NULL, files TEXT NOT NULL, summary TEXT NOT NULL,"
        " undone_at TEXT, payload TEXT NOT NULL,"
        " PRIMARY KEY (workspace_id, id)"
        ") WITHOUT ROWID",
        "CREATE INDEX import_batch_by_age ON import_batches(workspace_id, created_at)",
    ),
    # Findings of the integrity check can be dismissed with a note.
    7: (
        "CREATE TABLE dismissals ("
        " workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
        " key TEXT NOT NULL, rule TEXT NOT NULL, note TEXT NOT NULL, summary TEXT NOT NULL, dismissed_at TEXT NOT NULL,"
        " PRIMARY KEY (workspace_id, key)"
        ") WITHOUT ROWID",
    ),
    # Answers of heavy reads kept for every worker until the data changes.
    8: (
        "CREATE TABLE answers ("
        " workspace_id TEXT NOT NULL REFERENCES workspaces(id),"
        " key TEXT NOT NULL, revision INTEGER NOT NULL, body TEXT NOT NULL,"
        " PRIMARY KEY (workspace_id, key)"
        ") WITHOUT ROWID",
    ),
    # Walks down the primary sources and sums of a client's deals read their indexes alone: a tree's
    # walk takes each recommendation's client and date, and each node's deals their currency and
    # amount, from the index entry, not from a second lookup in the table (the same prefixes as before).
    9: (
        "DROP INDEX referral_by_source",
        "CREATE INDEX referral_by_source ON referrals(workspace_id, source_kind, source_id, is_primary,"
        " client_id, referred_on)",
        "DROP INDEX deal_by_client",
        "CREATE INDEX deal_by_client ON deals(workspace_id, client_id, currency, amount_minor, closed_on)",
    ),
    # Walks up the primary sources (chains, a period's uplines) and a period's deals read their indexes
    # alone: a client's recommendations carry their source and date in the index entry, a day's deals
    # their client, amount and currency (the same prefixes as before).
    10: (
        "DROP INDEX referral_by_client",
        "CREATE INDEX referral_by_client ON referrals(workspace_id, client_id, is_primary, source_kind, source_id,"
        " referred_on)",
        "DROP INDEX deal_by_date",
        "CREATE INDEX deal_by_date ON deals(workspace_id, closed_on, client_id, amount_minor, currency)",
    ),
    # Version 11 indexed the Neo4j store's clients by recording time; nothing changes here.
    11: (),
    # Walks over numbers: every client and channel gets a number of the file (clients from 1 up, channels
    # from -1 down, so a source's sign is its kind), and recommendations and deals carry the numbers of
    # their ends. A tree's walk down the primary sources compares integers in `referral_down`, not
    # (workspace, kind, id) texts, and reads each node's name and deals by number (`client_node`,
    # `deal_by_node`); a period walks up in `referral_up` from the numbers of its deals' and arrivals'
    # clients (`deal_by_date`, `client_by_acquired` gain them). Ids stay what the service shows. The
    # writes set the numbers (clients.py, referrals.py, deals.py); numbers never leave the store.
    12: (
        "ALTER TABLE clients ADD COLUMN n INTEGER",
        "UPDATE clients SET n = o.n FROM (SELECT workspace_id AS w, id AS i,"
        " row_number() OVER (ORDER BY workspace_id, id) AS n FROM clients) AS o"
        " WHERE clients.workspace_id = o.w AND clients.id = o.i",
        "CREATE INDEX client_node ON clients(n, name, status)",
        "ALTER TABLE channels ADD COLUMN n INTEGER",
        "UPDATE channels SET n = o.n FROM (SELECT workspace_id AS w, id AS i,"
        " -row_number() OVER (ORDER BY workspace_id, id) AS n FROM channels) AS o"
        " WHERE channels.workspace_id = o.w AND channels.id = o.i",
        "CREATE INDEX channel_node ON channels(n, name)",
        "ALTER TABLE referrals ADD COLUMN source_n INTEGER",
        "ALTER TABLE referrals ADD COLUMN client_n INTEGER",
        "UPDATE referrals SET client_n = c.n FROM clients AS c"
        " WHERE c.workspace_id = referrals.workspace_id AND c.id = referrals.client_id",
        "UPDATE referrals SET source_n = c.n FROM clients AS c WHERE referrals.source_kind = 'client'"
        " AND c.workspace_id = referrals.workspace_id AND c.id = referrals.source_id",
        "UPDATE referrals SET source_n = h.n FROM channels AS h WHERE referrals.source_kind = 'channel'"
        " AND h.workspace_id = referrals.workspace_id AND h.id = referrals.source_id",
        "CREATE INDEX referral_down ON referrals(source_n, is_primary, client_n, client_id, referred_on)"
        " WHERE is_primary = 1",
        # and a period's walk up from its deals' and arrivals' clients to their tops
        "CREATE INDEX referral_up ON referrals(client_n, is_primary, source_n, referred_on, client_id)"
        " WHERE is_primary = 1",
        "DROP INDEX client_by_acquired",
        "CREATE INDEX client_by_acquired ON clients(workspace_id, acquired_on, n) WHERE acquired_on IS NOT NULL",
        "ALTER TABLE deals ADD COLUMN client_n INTEGER",
        "UPDATE deals SET client_n = c.n FROM clients AS c"
        " WHERE c.workspace_id = deals.workspace_id AND c.id = deals.client_id",
        "CREATE INDEX deal_by_node ON deals(client_n, currency, amount_minor)",
        "DROP INDEX deal_by_date",
        "CREATE INDEX deal_by_date ON deals(workspace_id, closed_on, client_n, client_id, amount_minor, currency)",
    ),
}


def version(conn: sqlite3.Connection) -> int | None:
    """The recorded schema version, or None for a file never initialised."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row["value"]) if row else None


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration above the recorded version (inside the caller's write transaction);
    how many statements ran."""
    sent = 0
    current = version(conn) or 0
    for v in sorted(v for v in MIGRATIONS if v > current):
        steps = MIGRATIONS[v]
        for statement in steps.split(";") if isinstance(steps, str) else steps:
            if statement.strip():
                conn.execute(statement)
                sent += 1
        conn.execute(
            "INSERT INTO meta(key, value) VALUES ('schema_version', ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(v),),
        )
        sent += 1
    return sent
