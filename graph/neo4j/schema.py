"""The Neo4j schema: constraints and indexes by version, each applied once in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import LiteralString

import neo4j

# Schema migrations: each version's statements run once, in order, then the version is recorded.
MIGRATIONS: dict[int, tuple[LiteralString, ...]] = {
    1: (
        "CREATE CONSTRAINT workspace_id IF NOT EXISTS FOR (w:Workspace) REQUIRE w.id IS UNIQUE",
        "CREATE CONSTRAINT client_key IF NOT EXISTS FOR (c:Client) REQUIRE (c.workspace, c.id) IS UNIQUE",
        "CREATE CONSTRAINT client_email IF NOT EXISTS FOR (c:Client) REQUIRE (c.workspace, c.email) IS UNIQUE",
        "CREATE CONSTRAINT client_external_id IF NOT EXISTS FOR (c:Client)"
        " REQUIRE (c.workspace, c.external_id) IS UNIQUE",
        "CREATE CONSTRAINT channel_key IF NOT EXISTS FOR (c:Channel) REQUIRE (c.workspace, c.id) IS UNIQUE",
        "CREATE CONSTRAINT channel_name IF NOT EXISTS FOR (c:Channel) REQUIRE (c.workspace, c.name_key) IS UNIQUE",
        "CREATE CONSTRAINT channel_external_id IF NOT EXISTS FOR (c:Channel)"
        " REQUIRE (c.workspace, c.external_id) IS UNIQUE",
        "CREATE CONSTRAINT deal_key IF NOT EXISTS FOR (d:Deal) REQUIRE (d.workspace, d.id) IS UNIQUE",
        "CREATE CONSTRAINT deal_external_id IF NOT EXISTS FOR (d:Deal) REQUIRE (d.workspace, d.external_id) IS UNIQUE",
        "CREATE CONSTRAINT schema_name IF NOT EXISTS FOR (s:SchemaVersion) REQUIRE s.name IS UNIQUE",
        "CREATE INDEX client_workspace IF NOT EXISTS FOR (c:Client) ON (c.workspace)",
        "CREATE INDEX channel_workspace IF NOT EXISTS FOR (c:Channel) ON (c.workspace)",
        "CREATE INDEX deal_closed_on IF NOT EXISTS FOR (d:Deal) ON (d.workspace, d.closed_on)",
        "CREATE INDEX deal_client IF NOT EXISTS FOR (d:Deal) ON (d.workspace, d.client_id)",
        "CREATE INDEX referral_key IF NOT EXISTS FOR ()-[r:REFERRED]-() ON (r.workspace, r.id)",
        "CREATE INDEX source_change_client IF NOT EXISTS FOR (s:SourceChange) ON (s.workspace, s.client_id)",
    ),
    2: (
        "CREATE CONSTRAINT token_id IF NOT EXISTS FOR (t:Token) REQUIRE t.id IS UNIQUE",
        "CREATE CONSTRAINT token_hash IF NOT EXISTS FOR (t:Token) REQUIRE t.hash IS UNIQUE",
        "CREATE INDEX token_workspace IF NOT EXISTS FOR (t:Token) ON (t.workspace)",
        "CREATE INDEX deal_workspace IF NOT EXISTS FOR (d:Deal) ON (d.workspace)",
        "CREATE CONSTRAINT idempotency_key IF NOT EXISTS FOR (k:IdempotencyKey) REQUIRE (k.workspace, k.key) IS UNIQUE",
    ),
    3: (
        "CREATE INDEX client_acquired IF NOT EXISTS FOR (c:Client) ON (c.workspace, c.acquired_on)",
        "CREATE INDEX referral_date IF NOT EXISTS FOR ()-[r:REFERRED]-() ON (r.workspace, r.referred_on)",
        "CREATE CONSTRAINT closed_month IF NOT EXISTS FOR (m:ClosedMonth) REQUIRE (m.workspace, m.month) IS UNIQUE",
    ),
    4: (
        # Idempotency records of earlier versions may hold a token's secret: drop them (they only answer
        # retries); every record now expires, swept by its age.
        "MATCH (k:IdempotencyKey) DETACH DELETE k",
        "CREATE INDEX idempotency_age IF NOT EXISTS FOR (k:IdempotencyKey) ON (k.workspace, k.created_at)",
        # A restore in progress: its records exist only under this marker until the workspace node is made.
        "CREATE CONSTRAINT restore_marker IF NOT EXISTS FOR (r:RestoreInProgress) REQUIRE r.workspace IS UNIQUE",
    ),
    # Clients get a phone number (E.164), looked up when contacts are matched.
    5: ("CREATE INDEX client_phone IF NOT EXISTS FOR (c:Client) ON (c.workspace, c.phone)",),
    # Every import is a batch that can be undone.
    6: (
        "CREATE CONSTRAINT import_batch IF NOT EXISTS FOR (b:ImportBatch) REQUIRE (b.workspace, b.id) IS UNIQUE",
        "CREATE INDEX import_batch_age IF NOT EXISTS FOR (b:ImportBatch) ON (b.workspace, b.created_at)",
    ),
    # Findings of the integrity check can be dismissed with a note.
    7: ("CREATE CONSTRAINT dismissal_key IF NOT EXISTS FOR (d:Dismissal) REQUIRE (d.workspace, d.key) IS UNIQUE",),
    # Answers of heavy reads kept for every worker until the data changes.
    8: ("CREATE CONSTRAINT answer_key IF NOT EXISTS FOR (a:Answer) REQUIRE (a.workspace, a.key) IS UNIQUE",),
    # Version 9 widened two of the embedded store's indexes; nothing changes here.
    9: (),
    # Version 10 widened two more of the embedded store's indexes; nothing changes here.
    10: (),
    # Clients by recording time: the network's first day looks for clients recorded before every date,
    # a handful, instead of reading every client's recording time (0.36–0.49 s at a million, then ~2 ms).
    11: ("CREATE INDEX client_created IF NOT EXISTS FOR (c:Client) ON (c.workspace, c.created_at)",),
    # Version 12 numbered the embedded store's clients and channels for its walks; nothing changes here.
    12: (),
}


def migrate(driver: neo4j.Driver, database: str | None, current: int, count: Callable[[], None]) -> None:
    """Apply every version above `current` (statements IF NOT EXISTS), record each, wait for the indexes."""
    for version in sorted(v for v in MIGRATIONS if v > current):
        for statement in MIGRATIONS[version]:
            count()
            driver.execute_query(statement, database_=database)
        count()
        driver.execute_query(
            "MERGE (s:SchemaVersion {name: 'referrals'}) SET s.version = $v", v=version, database_=database
        )
    driver.execute_query("CALL db.awaitIndexes(60)", database_=database)
