"""The Neo4j store: `Neo4jStore` and its row ports, one module per aggregate."""

from graph.neo4j.db import parse_neo4j_url
from graph.neo4j.store import Neo4jStore

__all__ = ["Neo4jStore", "parse_neo4j_url"]
