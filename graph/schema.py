"""The schema version both stores migrate to (each store keeps its own migrations)."""

SCHEMA_VERSION = 12
