"""Every Cypher statement chain-graph runs, in one place.

Statements are constants: values always travel as parameters (``$rows``, ``$ids``, an import
batch's columns), never formatted into the text. The only names formatted in are labels,
relationship types and property keys from the fixed schema below (``model.*_COLUMNS``), never
text from a ledger.

Graph model
-----------
``(:Entity:Firm {id, name, ...})`` with extra labels ``:Enterprise`` / ``:Supplier``;
``(:Entity:Project {id, ...})``; ``(:Region {adcode, name})`` with
``(:Firm|:Project)-[:LOCATED_IN]->(:Region)``;
``(:Firm)-[:SUPPLIES {material, share, critical, stock_days, extra}]->(:Firm|:Project)``;
``(:Problem {id, ...})-[:CONCERNS]->(:Firm|:Project)``; ``(:Material {code, name, aliases,
chain})`` for the materials catalogue (物料目录); ``(:ChainGraphMeta)`` nodes with the data
version and the current import generation. ``:Entity`` (firms and projects share one id
space) carries the ``(id, g)`` key every lookup uses.

Every imported node (entities, regions, problems, materials) carries the import generation
``g`` it was written in; relationships join nodes of one generation only. Readers see one
generation: the one ``(:ChainGraphMeta {key: 'generation'})`` points at (see
:data:`CURRENT_GENERATION`). Ledger, report and coordination records carry no generation:
imports never touch them.
"""

from __future__ import annotations

from collections.abc import Iterable

from chain_graph.model import (
    FIRM_COLUMNS,
    LINK_COLUMNS,
    MATERIAL_COLUMNS,
    PROBLEM_COLUMNS,
    PROJECT_COLUMNS,
)

__all__ = [
    "CARRY_FORWARD",
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
    "CREATE_LINKS",
    "CREATE_LINKS_BETWEEN",
    "CREATE_MATERIALS",
    "CREATE_NODES",
    "CREATE_PROBLEMS",
    "CURRENT_GENERATION",
    "DATA_VERSION",
    "DELETE_ALL",
    "DELETE_GENERATIONS",
    "GENERATION_COUNTS",
    "LEDGER_CONSTRAINTS",
    "LEDGER_HISTORY",
    "LEDGER_HISTORY_ALL",
    "LEDGER_ITEM",
    "LEDGER_ITEMS",
    "LEDGER_REGISTER",
    "LEDGER_UPDATE",
    "LEDGER_VERSION",
    "LEDGER_VERSION_ALL",
    "LEGACY_CONSTRAINTS",
    "LEGACY_NODES",
    "LETTERS",
    "LETTER_CREATE",
    "LETTER_NEXT",
    "LINKS_AMONG",
    "MERGE_REGIONS",
    "MIGRATE_LEGACY",
    "MIGRATE_POINTER",
    "NEIGHBOURS",
    "NEW_GENERATION",
    "READ",
    "READ_BATCH",
    "READ_IN",
    "READ_LINKS_BATCH",
    "REPORTS",
    "REPORTS_APPEND",
    "REPORTS_VERSION",
    "REPORT_CONSTRAINTS",
    "RESULT_CONSTRAINTS",
    "RESULT_GET",
    "RESULT_PUT",
    "SWITCH_GENERATION",
    "UPSERT_DATA_VERSION",
]

CONSTRAINTS = (
    "CREATE CONSTRAINT chain_graph_entity_key IF NOT EXISTS FOR (n:Entity) REQUIRE (n.id, n.g) IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_problem_key IF NOT EXISTS FOR (n:Problem) REQUIRE (n.id, n.g) IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_region_key IF NOT EXISTS FOR (n:Region) REQUIRE (n.adcode, n.g) IS UNIQUE",
    "CREATE CONSTRAINT chain_graph_material_key IF NOT EXISTS "
    "FOR (n:Material) REQUIRE (n.code, n.g) IS UNIQUE",
    "CREATE INDEX chain_graph_firm_adcode IF NOT EXISTS FOR (n:Firm) ON (n.adcode)",
    "CREATE INDEX chain_graph_problem_subject IF NOT EXISTS FOR (n:Problem) ON (n.subject_id)",
)
"""Schema, created with ``IF NOT EXISTS`` before any load (schema and data never share a
transaction in Neo4j). Keys are unique per generation: two generations hold the same ids."""

LEGACY_CONSTRAINTS = (
    "DROP CONSTRAINT chain_graph_entity_id IF EXISTS",
    "DROP CONSTRAINT chain_graph_problem_id IF EXISTS",
    "DROP CONSTRAINT chain_graph_region_adcode IF EXISTS",
    "DROP CONSTRAINT chain_graph_material_code IF EXISTS",
)
"""The keys of a store written before generations (one per id), dropped before the new ones."""

_IMPORTED = "(n:Entity OR n:Problem OR n:Region OR n:Material)"

MIGRATE_LEGACY = (
    f"MATCH (n) WHERE {_IMPORTED} AND n.g IS NULL CALL (n) {{ SET n.g = 0 }} IN TRANSACTIONS OF 10000 ROWS"
)
"""Put a store written before generations into generation 0 (auto-commit, in batches)."""

LEGACY_NODES = "MATCH (n:Entity) WHERE n.g IS NULL RETURN n.id AS id LIMIT 1"
"""A node written before generations (none: nothing to migrate)."""

MIGRATE_POINTER = (
    "MERGE (m:ChainGraphMeta {key: 'generation'}) ON CREATE SET m += $counts, m.value = 0 "
    "MERGE (n:ChainGraphMeta {key: 'generation_next'}) ON CREATE SET n.value = 0"
)
"""Make the migrated generation 0 current."""

_OWNED = (
    "n:Entity OR n:Problem OR n:Region OR n:Material OR n:ChainGraphMeta OR n:LedgerItem "
    "OR n:LedgerEvent OR n:Report OR n:CoordinationRequest OR n:CoordinationEvent OR n:Letter "
    "OR n:AnalysisResult"
)

DELETE_ALL = (
    f"MATCH (n)-[r]->() WHERE {_OWNED} CALL (r) {{ DELETE r }} IN TRANSACTIONS OF $limit ROWS",
    f"MATCH (n) WHERE {_OWNED} CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS OF $limit ROWS",
)
"""Delete everything chain-graph owns, in batches (auto-commit: the heap holds one batch):
the relationships first, then the nodes (see :data:`DELETE_GENERATIONS`)."""

# --- import generations ------------------------------------------------------------------
# An import writes into a new generation ``g`` (a property of every imported node) in many
# small transactions, nobody reading it; one small transaction then points
# (:ChainGraphMeta {key: 'generation'}) at it, and the old generation is deleted afterwards.
# Readers fetch the pointer once and pass it as ``$g``.

CURRENT_GENERATION = (
    "MATCH (m:ChainGraphMeta {key: 'generation'}) "
    "RETURN m.value AS g, m.firms AS firms, m.projects AS projects, m.links AS links, "
    "m.problems AS problems, m.materials AS materials"
)
"""The current generation and its row counts (no row: nothing was ever imported)."""

NEW_GENERATION = (
    "MERGE (m:ChainGraphMeta {key: 'generation_next'}) ON CREATE SET m.value = 0 "
    "SET m.value = m.value + 1 RETURN m.value AS g"
)
"""Number a new import generation: one more than any generation started before."""

SWITCH_GENERATION = (
    "MATCH (next:ChainGraphMeta {key: 'generation_next'}) "
    "SET next.switches = coalesce(next.switches, 0) + 1 "  # locks it: switches run one at a time
    "WITH next WHERE next.value = $g "
    "MERGE (m:ChainGraphMeta {key: 'generation'}) ON CREATE SET m.value = -1 "
    "WITH m WHERE m.value = $old "
    "SET m += $counts, m.value = $g "
    "RETURN m.value AS g"
)
"""Make ``$g`` current (with its ``$counts``) if it is still the newest import started and
``$old`` (-1: none) is still current; no row otherwise. The only write readers can see."""

GENERATION_COUNTS = (
    "CALL () { MATCH (n:Firm) WHERE n.g = $g RETURN count(n) AS firms, "
    "sum(COUNT { (n)-[:SUPPLIES]->() }) AS links } "
    "CALL () { MATCH (n:Project) WHERE n.g = $g RETURN count(n) AS projects } "
    "CALL () { MATCH (n:Problem) WHERE n.g = $g RETURN count(n) AS problems } "
    "CALL () { MATCH (n:Material) WHERE n.g = $g RETURN count(n) AS materials } "
    "RETURN {firms: firms, projects: projects, links: links, problems: problems, materials: materials} "
    "AS counts"
)
"""Rows per table of generation ``$g``, stored on the pointer when it becomes current."""

DELETE_GENERATIONS = (
    f"MATCH (n)-[r]->() WHERE {_IMPORTED} AND n.g <> $keep AND n.g < $below "
    "CALL (r) { DELETE r } IN TRANSACTIONS OF $limit ROWS",
    f"MATCH (n) WHERE {_IMPORTED} AND n.g <> $keep AND n.g < $below "
    "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $limit ROWS",
)
"""Delete every generation but ``$keep`` older than ``$below`` (auto-commit, in batches):
the replaced one, and what a killed import left half-written. The relationships go first,
then the nodes: deleting nodes with ``DETACH DELETE`` alone ran out of a 1 GiB heap on the
national set (6.3M nodes and links; measured 2026-12-01), relationships then nodes took
238 s + 39 s within it. Every imported relationship starts at an imported node of the same
generation; ``DETACH`` still removes any other."""


def _each(column: str) -> str:
    """Return the ``UNWIND`` over a batch sent as columns: ``i`` runs over ``$column``'s rows."""
    return f"UNWIND range(0, size(${column}) - 1) AS i "


def _properties(columns: Iterable[str], *, more: str = "") -> str:
    """Return a map literal of row ``i``'s values of ``columns`` (absent: null, no property).

    A batch travels as columns (``$name`` a list, one value per row), not as one map per row:
    the driver packs a few long lists instead of thousands of small maps, about a third of the
    client's time in an import. Written out rather than ``SET n = $map``: a map of unknown keys
    makes the planner buffer the whole batch (an ``Eager`` step, as any property read may
    conflict with it).
    """
    return "{" + ", ".join([*(f"{c}: ${c}[i]" for c in columns), *([more] if more else [])]) + "}"


def _node_create(labels: str, columns: dict[str, str]) -> str:
    return (
        f"{_each('id')}CREATE (n:Entity:{labels} {_properties(columns, more='g: $g')}) "
        "WITH n, i CALL (n, i) { WITH n, i WHERE $region[i] IS NOT NULL "
        "MATCH (r:Region) WHERE elementId(r) = $region[i] AND r.g = $g CREATE (n)-[:LOCATED_IN]->(r) } "
        "RETURN collect($id[i]) AS ids, collect(elementId(n)) AS nodes"
    )


CREATE_NODES = {
    # (table, is_enterprise, is_supplier) → statement with that fixed label set.
    ("firms", True, True): _node_create("Firm:Enterprise:Supplier", FIRM_COLUMNS),
    ("firms", True, False): _node_create("Firm:Enterprise", FIRM_COLUMNS),
    ("firms", False, True): _node_create("Firm:Supplier", FIRM_COLUMNS),
    ("firms", False, False): _node_create("Firm", FIRM_COLUMNS),
    ("projects", False, False): _node_create("Project", PROJECT_COLUMNS),
}
"""Nodes of generation ``$g`` located in their region: one list per column of the table
(``$id``, ``$name``, …) and ``$region``, the element id :data:`MERGE_REGIONS` returned for each
row's adcode (null: no adcode). Rows are grouped by their label set so that no statement
branches per row. Returns one record: the ids written and, aligned, their nodes' element ids
(for :data:`CREATE_LINKS_BETWEEN`). A region is found by its element id as a link's nodes are;
every region of ``$g`` exists before the nodes phase begins."""

MERGE_REGIONS = (
    "UNWIND $regions AS x MERGE (r:Region {adcode: x.adcode, g: $g}) ON CREATE SET r.name = x.name "
    "RETURN collect(x.adcode) AS ids, collect(elementId(r)) AS nodes"
)
"""The regions (``$regions``: distinct ``{adcode, name}``) of generation ``$g``, before its nodes;
returns one record: the adcodes and, aligned, their regions' element ids."""

_LINK_PROPERTIES = _properties(c for c in LINK_COLUMNS if c not in ("supplier_id", "buyer_id"))

CREATE_LINKS = (
    f"{_each('material')}"
    "MATCH (s:Entity {id: $supplier_id[i], g: $g}) "
    "MATCH (b:Entity {id: $buyer_id[i], g: $g}) "
    f"CREATE (s)-[:SUPPLIES {_LINK_PROPERTIES}]->(b)"
)
"""Links of generation ``$g`` (one row per supplier, buyer and material; a list per column)."""

CREATE_LINKS_BETWEEN = (
    f"{_each('material')}"
    "MATCH (s:Entity) WHERE elementId(s) = $s[i] AND s.g = $g "
    "MATCH (b:Entity) WHERE elementId(b) = $b[i] AND b.g = $g "
    f"CREATE (s)-[:SUPPLIES {_LINK_PROPERTIES}]->(b)"
)
""":data:`CREATE_LINKS` for rows whose two nodes this import created: ``$s`` and ``$b`` hold
their element ids, as :data:`CREATE_NODES` returned them, and a node is found by its
element id (no index seek: a predicate on ``id`` would make the planner seek the index
instead), and taken only if it is an entity of generation ``$g``. An element id names a node
only while it exists, and a new node may take a deleted one's. While this import runs,
nothing deletes nodes of ``$g`` but an import started later (what it finds half-written), and
then this one can no longer switch (:data:`SWITCH_GENERATION`): a link on a wrong node is never
read. (``Neo4jStore.clear``, for tests and benchmarks, deletes every generation: it must not run
during an import.)"""

CREATE_PROBLEMS = (
    f"{_each('id')}CREATE (n:Problem {_properties(PROBLEM_COLUMNS, more='g: $g')}) "
    "WITH n, i MATCH (s:Entity {id: $subject_id[i], g: $g}) CREATE (n)-[:CONCERNS]->(s)"
)
"""Problems of generation ``$g`` with their ``CONCERNS`` link to the subject."""

CREATE_MATERIALS = f"{_each('code')}CREATE (n:Material {_properties(MATERIAL_COLUMNS, more='g: $g')})"
"""The materials catalogue of generation ``$g``."""

# An upsert carries the rows of the current generation ``$old`` that the import does not
# replace into ``$g`` (auto-commit, in batches), in this order: regions, nodes, links, problems,
# materials.
CARRY_FORWARD = {
    "regions": "MATCH (r:Region) WHERE r.g = $old CALL (r) { "
    "MERGE (c:Region {adcode: r.adcode, g: $g}) ON CREATE SET c.name = r.name "
    "} IN TRANSACTIONS OF $limit ROWS",
    "nodes": "MATCH (n:Entity) WHERE n.g = $old CALL (n) { "
    "WITH n WHERE NOT EXISTS { MATCH (:Entity {id: n.id, g: $g}) } "
    "CREATE (c:Entity) SET c = n{.*, g: $g}, c:$(labels(n)) "
    "WITH c WHERE c.adcode <> '' "
    "MATCH (r:Region {adcode: c.adcode, g: $g}) CREATE (c)-[:LOCATED_IN]->(r) "
    "} IN TRANSACTIONS OF $limit ROWS",
    # By supplier: its links in $g are listed once, and only a link not among them seeks its
    # buyer (a re-import replaces every link: no seek at all).
    "links": "MATCH (s:Entity) WHERE s.g = $old AND EXISTS { (s)-[:SUPPLIES]->() } CALL (s) { "
    "MATCH (s2:Entity {id: s.id, g: $g}) "
    "WITH s, s2, COLLECT { MATCH (s2)-[x:SUPPLIES]->(b2) RETURN [b2.id, x.material] } AS written "
    "MATCH (s)-[r:SUPPLIES]->(b:Entity) WHERE NOT [b.id, r.material] IN written "
    "MATCH (b2:Entity {id: b.id, g: $g}) "
    "CREATE (s2)-[c:SUPPLIES]->(b2) SET c = properties(r) "
    "} IN TRANSACTIONS OF $limit ROWS",
    "problems": "MATCH (p:Problem) WHERE p.g = $old CALL (p) { "
    "WITH p WHERE NOT EXISTS { MATCH (:Problem {id: p.id, g: $g}) } "
    "CREATE (c:Problem) SET c = p{.*, g: $g} "
    "WITH c MATCH (s:Entity {id: c.subject_id, g: $g}) CREATE (c)-[:CONCERNS]->(s) "
    "} IN TRANSACTIONS OF $limit ROWS",
    "materials": "MATCH (n:Material) WHERE n.g = $old CALL (n) { "
    "WITH n WHERE NOT EXISTS { MATCH (:Material {code: n.code, g: $g}) } "
    "CREATE (c:Material) SET c = n{.*, g: $g} } IN TRANSACTIONS OF $limit ROWS",
}

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
    "firms": f"MATCH (n:Firm) WHERE n.g = $g RETURN {_projection('n', FIRM_COLUMNS)}",
    "projects": f"MATCH (n:Project) WHERE n.g = $g RETURN {_projection('n', PROJECT_COLUMNS)}",
    "links": f"MATCH (s:Firm)-[r:SUPPLIES]->(b:Entity) WHERE s.g = $g {_LINK_RETURN}",
    "problems": f"MATCH (n:Problem) WHERE n.g = $g RETURN {_projection('n', PROBLEM_COLUMNS)}",
    "materials": f"MATCH (n:Material) WHERE n.g = $g RETURN {_projection('n', MATERIAL_COLUMNS)}",
}
"""Whole tables of generation ``$g``, one row per node or relationship, columns named as in
the model (a link joins two nodes of one generation: filtering the supplier is enough). For the
small tables of a neighbourhood; a whole store is read in pages (:data:`READ_BATCH`)."""

# Columnar reads: a table comes back in batches, each one record whose values are lists, one
# per column, aligned (``collect`` keeps the order of the rows it aggregates). ``collect``
# leaves nulls out, so an absent property is read as the value ``model.conform`` gives an
# absent one (text '', bool false, a number NaN): the lists stay aligned and the conformed
# table is the same. A batch is a keyset page on the ``(key, g)`` index: an index-ordered
# range seek from ``$after`` (inclusive with ``$inclusive``, for the first page) that stops
# after ``$limit`` rows of generation ``$g`` — no sort, no scan, and the heap holds one page.

_ABSENT = {"text": "''", "bool": "false", "float": "0.0 / 0.0", "int": "0.0 / 0.0"}


def _columns(variable: str, columns: dict[str, str]) -> str:
    return ", ".join(f"collect(coalesce({variable}.{c}, {_ABSENT[k]})) AS {c}" for c, k in columns.items())


def _page(variable: str, label: str, key: str, *, only: str = "") -> str:
    return (
        f"MATCH ({variable}:{label}) WHERE {variable}.{key} >= $after AND {variable}.g = $g{only} "
        f"AND ({variable}.{key} > $after OR $inclusive) "
        f"WITH {variable} ORDER BY {variable}.{key} LIMIT $limit"
    )


def _table_page(label: str, key: str, columns: dict[str, str], *, only: str = "") -> str:
    return f"{_page('n', label, key, only=only)} RETURN {_columns('n', columns)}"


READ_BATCH = {
    "firms": _table_page("Entity", "id", FIRM_COLUMNS, only=" AND n:Firm"),
    "projects": _table_page("Entity", "id", PROJECT_COLUMNS, only=" AND n:Project"),
    "problems": _table_page("Problem", "id", PROBLEM_COLUMNS),
    "materials": _table_page("Material", "code", MATERIAL_COLUMNS),
}
"""One page of a table of generation ``$g``: the ``$limit`` rows after ``$after`` by key, as
one record of column lists named as in the model. Fewer than ``$limit`` rows: the last page."""

READ_LINKS_BATCH = (
    f"{_page('s', 'Entity', 'id', only=' AND s:Firm')} WITH collect(s) AS suppliers "
    "CALL (suppliers) { UNWIND suppliers AS s MATCH (s)-[r:SUPPLIES]->(b:Entity) "
    "RETURN collect(s.id) AS supplier_id, collect(b.id) AS buyer_id, "
    + _columns("r", {c: k for c, k in LINK_COLUMNS.items() if c not in ("supplier_id", "buyer_id")})
    + " } RETURN size(suppliers) AS suppliers, suppliers[-1].id AS last, "
    + ", ".join(LINK_COLUMNS)
)
"""The links of one page of suppliers: the ``$limit`` firms of generation ``$g`` after
``$after`` by id, with the number of suppliers taken and the last one's id (where the next page
starts), and the links as column lists named as in the model."""

READ_IN = {
    "firms": (
        f"MATCH (n:Entity) WHERE n.id IN $ids AND n.g = $g AND n:Firm RETURN {_projection('n', FIRM_COLUMNS)}"
    ),
    "projects": (
        "MATCH (n:Entity) WHERE n.id IN $ids AND n.g = $g AND n:Project "
        f"RETURN {_projection('n', PROJECT_COLUMNS)}"
    ),
    "problems": (
        "MATCH (n:Problem) WHERE n.subject_id IN $ids AND n.g = $g "
        f"RETURN {_projection('n', PROBLEM_COLUMNS)}"
    ),
}
"""Rows of generation ``$g`` whose id is in ``$ids`` (problems: whose subject is)."""

NEIGHBOURS = (
    "UNWIND $ids AS id MATCH (:Entity {id: id, g: $g})-[:SUPPLIES]-(m:Entity) RETURN DISTINCT m.id AS id"
)
LINKS_AMONG = (
    "MATCH (s:Entity)-[r:SUPPLIES]->(b:Entity) "
    "WHERE s.id IN $ids AND s.g = $g AND s:Firm AND b.id IN $ids " + _LINK_RETURN
)

# --- the problem ledger ------------------------------------------------------------------
# (:LedgerItem {id, subject_id, …, version}); (:LedgerEvent {item_id, seq, …})-[:OF]->(:LedgerItem).
# Imports never touch either label. An item names its subject by ``subject_id`` and has no
# relationship into the imported graph: that graph is replaced generation by generation.

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

# --- published analyses (chain_graph.store.results) ------------------------------------------
# (:AnalysisResult {key, part, bytes}): one result in parts of at most a few MiB each (a
# property is one value in the heap). Putting one deletes every other result in the same
# transaction: workers only ever read the current data version's.

RESULT_CONSTRAINTS = (
    "CREATE CONSTRAINT chain_graph_result_part IF NOT EXISTS "
    "FOR (n:AnalysisResult) REQUIRE (n.key, n.part) IS UNIQUE",
)

RESULT_PUT = (
    "OPTIONAL MATCH (old:AnalysisResult) "
    "CALL (old) { WITH old WHERE old IS NOT NULL DELETE old } "
    "WITH count(*) AS dropped "
    "UNWIND range(0, size($parts) - 1) AS i "
    "CREATE (:AnalysisResult {key: $key, part: i, bytes: $parts[i]})"
)
"""Replace every published result with ``$key``'s, in ``$parts`` (byte arrays) in order."""

RESULT_GET = (
    "MATCH (r:AnalysisResult {key: $key}) WITH r ORDER BY r.part RETURN {part: r.part, bytes: r.bytes} AS row"
)
