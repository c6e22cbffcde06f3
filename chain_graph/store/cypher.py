"""Every Cypher statement chain-graph runs, in one place.

Statements are constants: values always travel as parameters (``$rows``, ``$ids``), never
formatted into the text. The only names formatted in are labels, relationship types and
property keys from the fixed schema below (``model.*_COLUMNS``), never text from a ledger.

Graph model
-----------
``(:Entity:Firm {id, name, ...})`` with extra labels ``:Enterprise`` / ``:Supplier``;
``(:Entity:Project {id, ...})``; ``(:Region {adcode, name})`` with
``(:Firm|:Project)-[:LOCATED_IN]->(:Region)``;
``(:Firm)-[:SUPPLIES {material, share, critical, stock_days, extra}]->(:Firm|:Project)``;
``(:Problem {id, ...})-[:CONCERNS]->(:Firm|:Project)``; ``(:Material {code, name, aliases,
chain})`` for the materials catalogue (物料目录); one ``(:ChainGraphMeta)`` node with
the data version. ``:Entity`` (firms and projects share one id space) carries the id
constraint every ``MERGE`` and lookup uses.
"""

from __future__ import annotations

from chain_graph.model import (
    FIRM_COLUMNS,
    LINK_COLUMNS,
    MATERIAL_COLUMNS,
    PROBLEM_COLUMNS,
    PROJECT_COLUMNS,
)

__all__ = [
    "CONSTRAINTS",
    "COORDINATION_CONSTRAINTS",
    "COORDINATION_HISTORY",
    "COORDINATION_HISTORY_ALL",
    "COORDINATION_REGISTER",
    "COORDINATION_REQUEST",
    "COORDINATION_REQUESTS",
    "COORDINATION_UPDATE",
    "COORDINATION_VERSION",
    "COORDINATION_VERSION_ALL",
    "COUNTS",
    "DATA_VERSION",
    "DELETE_ALL",
    "DELETE_BATCH",
    "LETTERS",
    "LETTER_CREATE",
    "LETTER_NEXT",
    "LINKS_AMONG",
    "LOCATE",
    "MERGE_REGIONS",
    "NEIGHBOURS",
    "READ",
    "READ_IN",
    "REPORTS",
    "REPORTS_APPEND",
    "REPORTS_VERSION",
    "REPORT_CONSTRAINTS",
    "UPSERT_DATA_VERSION",
    "UPSERT_LINKS",
    "UPSERT_MATERIALS",
    "UPSERT_NODES",
    "UPSERT_PROBLEMS",
]

CONSTRAINTS = (
    "CREATE CONSTRAINT chain_graph_entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_problem_id IF NOT EXISTS FOR (n:Problem) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_region_adcode IF NOT EXISTS FOR (n:Region) REQUIRE n.adcode IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_material_code IF NOT EXISTS FOR (n:Material) REQUIRE n.code IS UNIQUE",
    "CREATE INDEX chain_graph_firm_adcode IF NOT EXISTS FOR (n:Firm) ON (n.adcode)",
    "CREATE INDEX chain_graph_problem_subject IF NOT EXISTS FOR (n:Problem) ON (n.subject_id)",
)
"""Schema, created with ``IF NOT EXISTS`` before any load (schema and data never share a
transaction in Neo4j)."""

# Nodes carrying one label per table; deleting them (and their relationships) in batches
# keeps a replace of a province graph inside the transaction's memory.
DELETE_BATCH = (
    "MATCH (n) WHERE n:Entity OR n:Problem OR n:Region OR n:Material "
    "WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted"
)
DELETE_ALL = (
    "MATCH (n) WHERE n:Entity OR n:Problem OR n:Region OR n:Material OR n:ChainGraphMeta OR n:LedgerItem "
    "OR n:LedgerEvent OR n:Report OR n:CoordinationRequest OR n:CoordinationEvent OR n:Letter "
    "DETACH DELETE n"
)


def _node_upsert(labels: str, removed: str) -> str:
    remove = f" REMOVE n:{removed}" if removed else ""
    return f"UNWIND $rows AS row MERGE (n:Entity {{id: row.id}}) SET n = row.props, n:{labels}{remove}"


UPSERT_NODES = {
    # (table, is_enterprise, is_supplier) → statement with that fixed label set.
    ("firms", True, True): _node_upsert("Firm:Enterprise:Supplier", ""),
    ("firms", True, False): _node_upsert("Firm:Enterprise", "Supplier"),
    ("firms", False, True): _node_upsert("Firm:Supplier", "Enterprise"),
    ("firms", False, False): _node_upsert("Firm", "Enterprise:Supplier"),
    ("projects", False, False): _node_upsert("Project", ""),
}
"""Batched node upserts: ``$rows`` is a list of ``{id, props}``. ``SET n = props`` replaces
every property, so a field cleared in the ledger is cleared in the graph. Rows are grouped
by their label set so that no statement branches per row."""

MERGE_REGIONS = "UNWIND $regions AS g MERGE (r:Region {adcode: g.adcode}) ON CREATE SET r.name = g.name"
"""The regions of a batch (``$regions``: distinct ``{adcode, name}``), before locating nodes."""

LOCATE = (
    "UNWIND $rows AS row MATCH (n:Entity {id: row.id}) "
    "OPTIONAL MATCH (n)-[old:LOCATED_IN]->(:Region) DELETE old "
    "WITH DISTINCT n, row WHERE row.adcode <> '' "
    "MATCH (r:Region {adcode: row.adcode}) CREATE (n)-[:LOCATED_IN]->(r)"
)
"""Point each node of ``$rows`` (``{id, adcode}``) at its region, dropping the old link."""

UPSERT_LINKS = (
    "UNWIND $rows AS row "
    "MATCH (s:Entity {id: row.supplier_id}) "
    "MATCH (b:Entity {id: row.buyer_id}) "
    "MERGE (s)-[r:SUPPLIES {material: row.material}]->(b) "
    "SET r = row.props"
)
"""Batched link upserts, keyed by supplier, buyer and material."""

UPSERT_PROBLEMS = (
    "UNWIND $rows AS row "
    "MERGE (n:Problem {id: row.id}) "
    "SET n = row.props "
    "WITH n, row "
    "OPTIONAL MATCH (n)-[old:CONCERNS]->() DELETE old "
    "WITH DISTINCT n, row "
    "MATCH (s:Entity {id: row.subject_id}) "
    "CREATE (n)-[:CONCERNS]->(s)"
)
"""Batched problem upserts with their ``CONCERNS`` link to the subject."""

UPSERT_MATERIALS = (
    "UNWIND $rows AS row MERGE (n:Material {code: row.code}) SET n = row.props, n.code = row.code"
)
"""Batched upserts of the materials catalogue, keyed by code."""

UPSERT_DATA_VERSION = (
    "MERGE (m:ChainGraphMeta {key: 'data_version'}) "
    "SET m.value = coalesce(m.value, 0) + 1 RETURN m.value AS value"
)
DATA_VERSION = "MATCH (m:ChainGraphMeta {key: 'data_version'}) RETURN m.value AS value"


def _projection(variable: str, columns: dict[str, str]) -> str:
    return ", ".join(f"{variable}.{column} AS {column}" for column in columns)


_LINK_RETURN = "RETURN s.id AS supplier_id, b.id AS buyer_id, " + ", ".join(
    f"r.{c} AS {c}" for c in LINK_COLUMNS if c not in ("supplier_id", "buyer_id")
)

READ = {
    "firms": f"MATCH (n:Firm) RETURN {_projection('n', FIRM_COLUMNS)}",
    "projects": f"MATCH (n:Project) RETURN {_projection('n', PROJECT_COLUMNS)}",
    "links": f"MATCH (s:Firm)-[r:SUPPLIES]->(b:Entity) {_LINK_RETURN}",
    "problems": f"MATCH (n:Problem) RETURN {_projection('n', PROBLEM_COLUMNS)}",
    "materials": f"MATCH (n:Material) RETURN {_projection('n', MATERIAL_COLUMNS)}",
}
"""Whole tables, one row per node or relationship, columns named as in the model."""

READ_IN = {
    "firms": f"MATCH (n:Firm) WHERE n.id IN $ids RETURN {_projection('n', FIRM_COLUMNS)}",
    "projects": f"MATCH (n:Project) WHERE n.id IN $ids RETURN {_projection('n', PROJECT_COLUMNS)}",
    "problems": (f"MATCH (n:Problem) WHERE n.subject_id IN $ids RETURN {_projection('n', PROBLEM_COLUMNS)}"),
}
"""Rows of the nodes (problems: of the subjects) whose id is in ``$ids``."""

NEIGHBOURS = "UNWIND $ids AS id MATCH (:Entity {id: id})-[:SUPPLIES]-(m:Entity) RETURN DISTINCT m.id AS id"
LINKS_AMONG = "MATCH (s:Firm)-[r:SUPPLIES]->(b:Entity) WHERE s.id IN $ids AND b.id IN $ids " + _LINK_RETURN

COUNTS = (
    "CALL () { MATCH (n:Firm) RETURN count(n) AS firms } "
    "CALL () { MATCH (n:Project) RETURN count(n) AS projects } "
    "CALL () { MATCH (:Firm)-[r:SUPPLIES]->() RETURN count(r) AS links } "
    "CALL () { MATCH (n:Problem) RETURN count(n) AS problems } "
    "CALL () { MATCH (n:Material) RETURN count(n) AS materials } "
    "RETURN firms, projects, links, problems, materials"
)

# --- the problem ledger ------------------------------------------------------------------
# (:LedgerItem {id, …, version})-[:CONCERNS]->(:Entity); (:LedgerEvent {item_id, seq, …})-[:OF]->
# (:LedgerItem). Imports never touch either label.

LEDGER_CONSTRAINTS = (
    "CREATE CONSTRAINT chain_graph_ledger_item_id IF NOT EXISTS FOR (n:LedgerItem) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_ledger_event_key IF NOT EXISTS "
    "FOR (n:LedgerEvent) REQUIRE (n.item_id, n.seq) IS UNIQUE",
)

LEDGER_REGISTER = (
    "UNWIND $rows AS row "
    "MERGE (i:LedgerItem {id: row.item.id}) "
    "ON CREATE SET i = row.item, i.created_now = true "
    "WITH i, row WHERE i.created_now "
    "REMOVE i.created_now "
    "CREATE (e:LedgerEvent)-[:OF]->(i) SET e = row.event "
    "WITH i OPTIONAL MATCH (s:Entity {id: i.subject_id}) "
    "FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END | CREATE (i)-[:CONCERNS]->(s)) "
    "RETURN i.id AS id"
)
"""Insert the items of ``$rows`` (``{item, event}``) whose id is new; return their ids."""

LEDGER_UPDATE = (
    "MATCH (i:LedgerItem {id: $id}) "
    "SET i.locked_by_update = true "  # takes the item's write lock before the version check
    "WITH i WHERE i.version = $expected "
    "SET i = $item "
    "CREATE (e:LedgerEvent)-[:OF]->(i) SET e = $event "
    "RETURN i.version AS version"
)
"""Replace item ``$id`` and append ``$event`` if its version is still ``$expected``."""

LEDGER_VERSION = "MATCH (i:LedgerItem {id: $id}) RETURN i.version AS version"
LEDGER_HISTORY_ALL = "MATCH (e:LedgerEvent) RETURN properties(e) AS row ORDER BY e.item_id, e.seq"
LEDGER_VERSION_ALL = "MATCH (e:LedgerEvent) RETURN {events: count(e)} AS row"
LEDGER_ITEMS = "MATCH (i:LedgerItem) RETURN properties(i) AS row ORDER BY i.id"
LEDGER_ITEM = "MATCH (i:LedgerItem {id: $id}) RETURN properties(i) AS row"
LEDGER_HISTORY = "MATCH (e:LedgerEvent {item_id: $id}) RETURN properties(e) AS row ORDER BY e.seq"

# --- status reports (状态填报) --------------------------------------------------------------
# (:Report {seq, id, as_of, …, recorded_by, recorded_at}), standing alone (no relationship: a
# replacing import detach-deletes entities and must not reach a report). Only ever CREATEd;
# ``seq`` is unique, numbered from a counter node whose update locks it for the transaction,
# so two appends at once are numbered one after the other.

REPORT_CONSTRAINTS = (
    # MERGE of the counter is safe under concurrency only with a unique key to lock on.
    "CREATE CONSTRAINT chain_graph_meta_key IF NOT EXISTS FOR (n:ChainGraphMeta) REQUIRE n.key IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_report_seq IF NOT EXISTS FOR (n:Report) REQUIRE n.seq IS UNIQUE",
    "CREATE INDEX chain_graph_report_id IF NOT EXISTS FOR (n:Report) ON (n.id)",
)

REPORTS_APPEND = (
    "MERGE (m:ChainGraphMeta {key: 'reports_seq'}) ON CREATE SET m.value = 0 "
    "SET m.value = m.value + size($rows) "
    "WITH m.value - size($rows) AS last "
    "UNWIND range(0, size($rows) - 1) AS i "
    "CREATE (r:Report) SET r = $rows[i], r.seq = last + i + 1 "
    "RETURN count(r) AS appended"
)
"""Append ``$rows`` (property maps without ``seq``), numbered on from the last ``seq``."""

REPORTS = "MATCH (r:Report) RETURN properties(r) AS row ORDER BY r.seq"
REPORTS_VERSION = "MATCH (m:ChainGraphMeta {key: 'reports_seq'}) RETURN {value: m.value} AS row"

# --- coordination requests (协调事项) and letters (商请函) ---------------------------------------
# (:CoordinationRequest {id, …, version}); (:CoordinationEvent {request_id, seq, …})-[:OF]->
# (:CoordinationRequest); (:Letter {number, issuer, year, seq, …}). Standing apart from the
# imported graph (a replacing import never reaches them). A letter's number comes from a counter
# (:ChainGraphMeta {key: 'letters:<issuer>:<year>'}) whose update locks it until the transaction
# ends: two workers numbering at once get n and n+1, and a rolled-back letter gives its number back.

COORDINATION_CONSTRAINTS = (
    "CREATE CONSTRAINT chain_graph_coordination_id IF NOT EXISTS "
    "FOR (n:CoordinationRequest) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_coordination_event_key IF NOT EXISTS "
    "FOR (n:CoordinationEvent) REQUIRE (n.request_id, n.seq) IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_letter_number IF NOT EXISTS FOR (n:Letter) REQUIRE n.number IS UNIQUE",
)

COORDINATION_REGISTER = (
    "UNWIND $rows AS row "
    "MERGE (r:CoordinationRequest {id: row.request.id}) "
    "ON CREATE SET r = row.request, r.created_now = true "
    "WITH r, row WHERE r.created_now "
    "REMOVE r.created_now "
    "CREATE (e:CoordinationEvent)-[:OF]->(r) SET e = row.event "
    "RETURN r.id AS id"
)
"""Insert the requests of ``$rows`` (``{request, event}``) whose id is new; return their ids."""

COORDINATION_UPDATE = (
    "MATCH (r:CoordinationRequest {id: $id}) "
    "SET r.locked_by_update = true "  # takes the request's write lock before the version check
    "WITH r WHERE r.version = $expected "
    "SET r = $request "
    "CREATE (e:CoordinationEvent)-[:OF]->(r) SET e = $event "
    "RETURN r.version AS version"
)
"""Replace request ``$id`` and append ``$event`` if its version is still ``$expected``."""

COORDINATION_VERSION = "MATCH (r:CoordinationRequest {id: $id}) RETURN r.version AS version"
COORDINATION_REQUEST = "MATCH (r:CoordinationRequest {id: $id}) RETURN properties(r) AS row"
COORDINATION_REQUESTS = "MATCH (r:CoordinationRequest) RETURN properties(r) AS row ORDER BY r.id"
COORDINATION_HISTORY = (
    "MATCH (e:CoordinationEvent {request_id: $id}) RETURN properties(e) AS row ORDER BY e.seq"
)
COORDINATION_HISTORY_ALL = (
    "MATCH (e:CoordinationEvent) RETURN properties(e) AS row ORDER BY e.request_id, e.seq"
)
COORDINATION_VERSION_ALL = (
    "CALL { MATCH (e:CoordinationEvent) RETURN count(e) AS events } "
    "CALL { MATCH (l:Letter) RETURN count(l) AS letters } "
    "RETURN {value: events + letters} AS row"
)

LETTER_NEXT = (
    "MERGE (m:ChainGraphMeta {key: $key}) ON CREATE SET m.value = 0 "
    "SET m.value = m.value + 1 RETURN m.value AS seq"
)
"""The next number of one issuer in one year (``$key``), locked until the transaction ends."""

LETTER_CREATE = "CREATE (l:Letter) SET l = $letter"
LETTERS = "MATCH (l:Letter) RETURN properties(l) AS row ORDER BY l.year, l.issuer, l.seq"
