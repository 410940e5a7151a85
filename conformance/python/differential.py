#!/usr/bin/env python3
"""Differential runs: the real ML Metadata (1.16.0, in process) against mlmd-ts (over gRPC).

A seeded generator produces random, mostly valid operation sequences (types with evolution
flags; artifacts, executions and contexts inserted and updated, with masks and every value
kind; events with paths; attributions, associations and parent contexts; PutExecution with its
reuse options; PutLineageSubgraph; reads by id, type, name, uri and external id; by-context
reads; listings with list options, walking their page tokens; filter queries and lineage
subgraphs). Every operation goes to both stores and every response is compared: ids, fields,
field presence, and errors by status code. Timestamps are compared by the write operation that
produced them (see NORMALISATIONS["timestamps_by_operation"]), not by value.

Usage:
    differential.py --target HOST:PORT --seed S [--ops N]      one seed against a running server
    differential.py --spawn-server [--seed S ...] [--ops N]    start `mlmd-ts serve` per seed
                                                               (npm run conformance:soak)
    differential.py --spawn-server --mlmd-db URL --ours-db URL --seed S [--ops N]
                                                               both on a server engine: MLMD in
                                                               process on the empty database URL
                                                               (postgres://… or mysql://…), and
                                                               `mlmd-ts serve --db` on another
                                                               empty database of that engine

The target must be a fresh, empty store (ids are compared). Options: --seeds 1,2,3 runs several
seeds (each needs its own fresh server, so only with --spawn-server, and without --mlmd-db:
each seed needs empty databases); --no-filters leaves out
filter queries; --json PATH writes the summary there too; -v logs every operation.

Prints one JSON summary as the last line of stdout; exits 1 when a divergence is found that is
neither normalised (NORMALISATIONS) nor listed (KNOWN_DIVERGENCES), 0 otherwise.
"""

import argparse
import base64
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import grpc
from google.protobuf import any_pb2, descriptor, struct_pb2, text_format
from ml_metadata.metadata_store import metadata_store
from ml_metadata.metadata_store.pywrap.metadata_store_extension import metadata_store as mlmd_cc
from ml_metadata.proto import metadata_store_pb2 as mlmd
from ml_metadata.proto import metadata_store_service_pb2 as svc
from ml_metadata.proto import metadata_store_service_pb2_grpc as svc_grpc

# ConnectionConfig from a postgres:// or mysql:// URL, shared with the interchange script.
from interchange import engine_of, server_config

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# ---------------------------------------------------------------------------------------------
# What is normalised before comparing, and why. Each entry is a deliberate difference listed in
# README.md ("Where mlmd-ts deliberately differs from MLMD 1.16"), or a property of MLMD that
# makes a raw comparison meaningless. "applied" rules rewrite responses before comparing (the
# summary counts how often each one changed something); "avoided" rules are kept out of the
# generated operations, because the two stores would then hold different data and every later
# comparison would differ.
# ---------------------------------------------------------------------------------------------

NORMALISATIONS = {
    "timestamps_by_operation": (
        "applied",
        "Both stores stamp create/last_update times and unset event times with their own clock. "
        "Write operations are spaced 8 ms apart and each stamp is replaced by the index of "
        "the write operation during which it was taken (give or take 3 ms of clock skew), so 'created/updated by operation k' is "
        "compared exactly, and listings ordered by time see the same order on both sides.",
    ),
    "error_codes_only": (
        "applied",
        "Errors are compared by status code; the messages are MLMD's C++ texts and are only reported.",
    ),
    "exact_doubles": (
        "applied",
        "README: doubles are stored exactly; MLMD writes printf('%f') text (6 decimals) and reads it "
        "back with 15 significant digits. Generated doubles survive that round trip; as a "
        "safeguard both sides' double_value are compared after MLMD's rounding. -0.0 is not "
        "generated as a property value: MLMD reads it back as 0.0, mlmd-ts as -0.0 (README), so "
        "an update re-sending MLMD's read changes mlmd-ts's value (it is kept inside Structs, "
        "which both store exactly).",
    ),
    "nul_in_strings": (
        "applied",
        "README: strings keep NUL characters; MLMD truncates at the first NUL. NUL only appears in "
        "custom string properties named nul_*; mlmd-ts's values are compared up to the first NUL. "
        "Updates that rewrite such a property always change it, so both stores see a change.",
    ),
    "page_size_cap": (
        "applied",
        "README: pages hold at most 100 nodes and carry a token when more remain; MLMD answers "
        "max_result_size >= 101 with up to 101 rows and no token. MLMD's first 100 rows are compared "
        "with mlmd-ts's first page and its 101st row with mlmd-ts's next row; the walk stops there.",
    ),
    "paging_never_repeats": (
        "applied",
        "README: CREATE_TIME/LAST_UPDATE_TIME pages continue from the pair (order field, id), so they "
        "never skip or repeat a row; MLMD's LAST_UPDATE_TIME token (timestamp plus the ids of the "
        "page's trailing run) repeats rows when a run of equal stamps spans more than two pages. When "
        "MLMD's walk repeats rows, the de-duplicated concatenations are compared instead of pages. "
        "Tokens themselves are compared for ID order (byte for byte) and CREATE_TIME order (decoded, "
        "stamp by operation); for LAST_UPDATE_TIME only their presence.",
    ),
    "last_update_bump": (
        "applied",
        "README: last_update_time moves only when a node changes (or force_update_time). MLMD "
        "moves it whenever the update request differs from the stored node in any attribute, "
        "even one it does not store: an omitted output-only `type`, a new name for an artifact or "
        "execution (names never change), an omitted uri where '' is stored. The generator "
        "predicts these (mlmd_only_bump); a node whose only difference is that MLMD's stamp comes "
        "from such an update and mlmd-ts's is older is accepted, and mapped on later reads. "
        "(Updates omitting `type` also change a custom property, c_rev, most of the time.)",
    ),
    "last_update_order": (
        "applied",
        "Follows from last_update_bump (or a known stamp divergence): once some update stamps of a "
        "kind differ, listings of that kind ordered by LAST_UPDATE_TIME may order and page it "
        "differently; they are then compared on the nodes both sides listed.",
    ),
    "lineage_whole_nodes": (
        "applied",
        "README: GetLineageSubgraph answers whole nodes; MLMD answers id-only nodes (its Python "
        "client then hydrates them). mlmd-ts's nodes are cut down to their ids.",
    ),
    "type_reads_complete": (
        "applied",
        "README: every type read returns external_id and base_type where set; MLMD leaves them out "
        "of some reads (GetXTypes omits external_id, by-external-id reads omit base_type, lineage "
        "types carry neither). Where MLMD's type lacks the field, mlmd-ts's is dropped.",
    ),
    "dangling_edges": (
        "avoided",
        "README: edges must point at nodes that exist; MLMD stores events and links to missing "
        "nodes. Event-only pairs and edge ids always name existing nodes, and empty PutExecution "
        "pairs are never combined with contexts (MLMD would attribute artifact -1).",
    ),
    "custom_and_declared_independent": (
        "avoided",
        "README: custom and declared properties of the same name are independent; MLMD's delete of "
        "custom k also deletes declared k. Declared names start with p_, custom names with c_/nul_.",
    ),
    "get_lineage_graph": (
        "avoided",
        "README: GetLineageGraph works (MLMD 1.14 semantics); MLMD 1.16 answers UNIMPLEMENTED. Not "
        "generated: there is nothing to compare.",
    ),
    "unordered_results": (
        "applied",
        "MLMD's order is unspecified (hash order) for GetArtifactsByURI across uris and for every "
        "list of GetLineageSubgraph; those lists are sorted on both sides.",
    ),
    "server_engine_unordered_reads": (
        "applied",
        "PostgreSQL and MySQL only. MLMD's SQL for reads without list options has no ORDER BY (by id, "
        "by external id, by type, by context, events, types, parent/child contexts): the engine "
        "answers in its plan's order (PostgreSQL: descending id or heap order; MariaDB: the order "
        "of the index it reads, e.g. events by (artifact_id, execution_id, type)). mlmd-ts answers "
        "in id order on every engine. Node and type lists of such reads are sorted by id, events "
        "by content, on both sides. Reads with list options (ORDER BY in MLMD) keep their order.",
    ),
    "postgresql_nul_refused": (
        "avoided",
        "PostgreSQL only: text columns cannot hold NUL. MLMD cuts a string at its first NUL and "
        "stores the rest; mlmd-ts refuses the write with INVALID_ARGUMENT ('PostgreSQL cannot store "
        "this text') rather than store something else than it was given. The stores would then "
        "differ for the rest of the run, so on PostgreSQL the nul_* properties hold a space instead.",
    ),
    "server_engine_refused_write_ids": (
        "avoided",
        "PostgreSQL and MySQL only. A refused write stores nothing on either side, but an INSERT it "
        "made before failing has used up a value of PostgreSQL's sequence / MySQL's AUTO_INCREMENT "
        "(neither rolls back; SQLite's does), so the two stores hand out different ids from then on "
        "and every later comparison differs. MLMD and mlmd-ts insert before failing in different "
        "cases: (1) MLMD works through PutExecution, PutLineageSubgraph and Put{Artifacts,Executions,"
        "Contexts} in order and inserts the nodes before the item that fails, mlmd-ts validates the "
        "whole request first and inserts nothing (seen: seed 1 op 118 on PostgreSQL, artifact ids "
        "23 vs 22 at op 120); (2) a new type whose external_id another type holds: MLMD looks the "
        "external_id up first and inserts nothing, mlmd-ts lets the UNIQUE key refuse the INSERT "
        "(seen: seed 2 op 70 on MariaDB, type ids 18 vs 19 at op 86: a bug for the lead, fixed in "
        "the type write path by looking first). On these engines the generator makes no invalid "
        "node batches, PutExecution or PutLineageSubgraph, and no new type takes another's external_id.",
    ),
    "batch_parent_child_reads_emulated": (
        "applied",
        "MLMD's in-process API has no Get{Parent,Children}ContextsByContexts; its answer is built from "
        "Get{Parent,Children}ContextsByContext per id with MLMD's documented rules (empty request => "
        "INVALID_ARGUMENT; only ids with links appear as keys).",
    ),
}

# ---------------------------------------------------------------------------------------------
# Divergences found by these runs that are not (yet) fixed: each entry matches a divergence
# report and explains it. The default seeds pass with these entries; the lead removes an entry
# when the difference is fixed (or moves it to README's deliberate differences).
#   match(report) -> bool, where report has: rpc and request (of the operation; for a read-back
#   after a write, the write's), mlmd and ours (outcomes: ok, code, message, response), diff
#   (where they first differ, or "outcome"), note, canon (both canonical responses, normalised,
#   or None) and run (the Run, for matchers that need to ask MLMD).
# Classification: "bug" (mlmd-ts should change), "mlmd-bug" (MLMD is wrong; mlmd-ts may keep its
# answer and README should say so), "unsure" (a choice for the lead: copy MLMD or document).
# ---------------------------------------------------------------------------------------------


@dataclass
class Known:
    id: str
    classification: str  # "bug" | "mlmd-bug" | "unsure"
    explanation: str
    match: Callable[[Dict[str, Any]], bool]


def _error_codes(mlmd_code: str, ours_code: str):
    return lambda r: not r["mlmd"].ok and r["mlmd"].code == mlmd_code and r["ours"].code == ours_code


def _same_after(r, fix) -> bool:
    """Whether the canonical responses agree once `fix(mlmd, ours)` has rewritten them."""
    if r["canon"] is None:
        return False
    cm, co = json.loads(json.dumps(r["canon"][0])), json.loads(json.dumps(r["canon"][1]))
    fix(cm, co)
    return first_diff(cm, co) is None


def _without_io_types(cm, co):
    for c in (cm, co):
        for t in c.get("execution_types", []):
            t.pop("input_type", None)
            t.pop("output_type", None)


def _types_by_id(cm, co):
    for c in (cm, co):
        for key in ("artifact_types", "execution_types", "context_types"):
            if key in c:
                c[key] = sorted(c[key], key=lambda t: t.get("id", 0))


def _starting_nodes(r) -> int:
    """How many nodes the starting filter of a GetLineageSubgraph request matches (in MLMD)."""
    options = r["request"].lineage_subgraph_query_options
    kind = "artifacts" if options.HasField("starting_artifacts") else "executions"
    query = (options.starting_artifacts if kind == "artifacts" else options.starting_executions).filter_query
    rpc = "GetArtifacts" if kind == "artifacts" else "GetExecutions"
    # max_result_size 101: MLMD answers up to 101 rows at once, enough to tell "more than 100".
    listed = r["run"].mlmd.call(rpc, request_of(rpc, options=mlmd.ListOperationOptions(
        filter_query=query, max_result_size=101)))
    return len(getattr(listed.response, kind)) if listed.ok else 0


def _enum_predicate_repeated(r) -> bool:
    text = short_text(r["request"], limit=10**9)
    found = re.search(r'filter_query: "((?:[^"\\]|\\.)*)"', text)
    if found is None:
        return False
    query = found.group(1)
    predicates = re.findall(r"\b(?:state|last_known_state|type)\s*(?:!=|=|NOT IN|IN)\s*(?:\([^)]*\)|[A-Z_]+)", query)
    if len(predicates) != len(set(predicates)):
        return True
    # The same attribute and value under = and != ('state = LIVE OR state != LIVE').
    pairs = re.findall(r"\b(state|last_known_state|type)\s*!?=\s*([A-Z_]+)", query)
    return len(pairs) != len(set(pairs))


KNOWN_DIVERGENCES: List[Known] = [
    Known(
        "unique_violation_code",
        "unsure",
        "A write that hits a UNIQUE constraint MLMD does not check itself (an update to an external_id "
        "or context name another node holds; a new type whose external_id a type of another kind "
        "holds): MLMD answers INTERNAL (the raw SQLite, PostgreSQL or MySQL error; on MySQL it "
        "answers ALREADY_EXISTS for a new node's duplicate name), mlmd-ts ALREADY_EXISTS. Nothing is "
        "written either way. Either copy MLMD's INTERNAL or add this to README's deliberate differences.",
        lambda r: r["diff"] == "outcome" and _error_codes("INTERNAL", "ALREADY_EXISTS")(r)
        and ("UNIQUE constraint failed" in r["mlmd"].message  # SQLite
             or "duplicate key value violates unique constraint" in r["mlmd"].message  # PostgreSQL
             or "Duplicate entry" in r["mlmd"].message),  # MySQL
    ),
    Known(
        "put_types_batch_snapshot",
        "unsure",
        "PutTypes with two different entries for one existing (name, version): MLMD checks every "
        "entry against the type as stored before the request and applies each, mlmd-ts checks "
        "each against the type as the previous entries left it. Stored ExecutionType D with no "
        "properties, PutTypes([D{p: INT}, D{q: INT}], can_add_fields): MLMD OK, ids [D, D], D "
        "now has p and q; mlmd-ts ALREADY_EXISTS (entry 2 omits p, can_omit_fields false), "
        "nothing stored. Same with [D{p}, D{}]. (For a type new in the request both refuse.) "
        "Found at soak seed 600 op 350; the generator no longer produces such requests "
        "(GENERATE_PUT_TYPES_SAME_NAME), since the stores then differ for the rest of the run.",
        lambda r: r["rpc"] == "PutTypes" and r["diff"] == "outcome" and r["mlmd"].ok
        and r["ours"].code == "ALREADY_EXISTS",
    ),
    Known(
        "error_precedence",
        "bug",
        "A request with two faults gets a different error code: MLMD works through the request in "
        "order and reports the first failure it meets, mlmd-ts validates the whole request first. "
        "Seen: PutEvents [valid, duplicate of a stored event, event without type]: MLMD "
        "ALREADY_EXISTS, mlmd-ts INVALID_ARGUMENT; PutExecution whose pairs insert an artifact "
        "that exists and hold an event-only pair without artifact_id: same; Put*Type of an "
        "existing (name, version) that omits stored properties (can_omit_fields false) and "
        "declares a property UNKNOWN: MLMD ALREADY_EXISTS (evolution check first), mlmd-ts "
        "INVALID_ARGUMENT. Nothing is written either way.",
        lambda r: r["diff"] == "outcome" and _error_codes("ALREADY_EXISTS", "INVALID_ARGUMENT")(r)
        and r["rpc"] in ("PutEvents", "PutExecution", "PutLineageSubgraph", "PutArtifactType",
                         "PutExecutionType", "PutContextType", "PutTypes"),
    ),
    Known(
        "io_types_in_external_id_reads",
        "unsure",
        "Get{Execution}TypesByExternalIds: mlmd-ts returns input_type/output_type, MLMD leaves them "
        "out (its by-external-id query reads neither column). Consistent with README's 'type reads "
        "are complete', but README names only external_id and base_type: extend README or drop them.",
        lambda r: r["rpc"] == "GetExecutionTypesByExternalIds" and (
            _same_after(r, _without_io_types)
            or _same_after(r, lambda cm, co: (_without_io_types(cm, co), _types_by_id(cm, co)))),
    ),
    Known(
        "types_by_external_id_order",
        "bug",
        "Get{Artifact,Execution,Context}TypesByExternalIds: MLMD answers in the order SQLite reads "
        "the external_id index, i.e. by external_id as text (checked: types 13 'a9' and 15 'a2' "
        "come back as [15, 13]); mlmd-ts by ascending id. (Node reads by external id agree.) "
        "If both this and io_types_in_external_id_reads apply, the latter is reported.",
        lambda r: r["rpc"].endswith("TypesByExternalIds") and _same_after(r, _types_by_id),
    ),
    Known(
        "lineage_starting_nodes_cap",
        "unsure",
        "GetLineageSubgraph whose starting filter matches more than 100 nodes: MLMD starts from "
        "the 101 lowest ids (its LIMIT is page size + 1), mlmd-ts from 100, as MLMD's "
        "documentation says (lineage-operations.ts MAX_STARTING_NODES). Checked: 150 artifacts, "
        "'id > 0', max_num_hops 0: MLMD answers 101 artifacts, mlmd-ts 100. Copy MLMD or add to "
        "README's deliberate differences.",
        lambda r: r["rpc"] == "GetLineageSubgraph" and r["mlmd"].ok and r["ours"].ok
        and _starting_nodes(r) > 100,
    ),
    Known(
        "postgresql_filter_order_by_last_update",
        "mlmd-bug",
        "PostgreSQL only: a listing with a filter_query ordered by LAST_UPDATE_TIME. MLMD selects "
        "'distinct table_0.id, table_0.create_time_since_epoch' and orders by "
        "last_update_time_since_epoch, which PostgreSQL refuses ('for SELECT DISTINCT, ORDER BY "
        "expressions must appear in select list'): INTERNAL. mlmd-ts answers the listing.",
        lambda r: r["diff"] == "outcome" and r["mlmd"].code == "INTERNAL" and r["ours"].ok
        and "ORDER BY expressions must appear in select list" in r["mlmd"].message,
    ),
    Known(
        "repeated_enum_predicate",
        "mlmd-bug",
        "A filter_query in which the same enum predicate appears twice (e.g. 'state != LIVE OR "
        "state != LIVE', 'state IN (LIVE) OR state IN (LIVE)'), or one attribute and value under both "
        "= and != ('state = LIVE OR state != LIVE'): MLMD answers INVALID_ARGUMENT "
        "('Query cannot be rewritten successfully for matched enum predicate': its textual rewrite "
        "of enum names trips over the repeated text), mlmd-ts evaluates the query. mlmd-ts is right; list "
        "it in README's deliberate differences or copy the error.",
        lambda r: r["diff"] == "outcome" and r["mlmd"].code == "INVALID_ARGUMENT"
        and r["ours"].code != "INVALID_ARGUMENT"
        and "cannot be rewritten successfully" in r["mlmd"].message and _enum_predicate_repeated(r),
    ),
]

# filter_query support was being wired into mlmd-ts's store while this harness was written: an
# UNIMPLEMENTED answer from mlmd-ts to a request carrying a non-empty filter_query is counted as
# a known gap ("filter_gaps" in the summary) instead of a divergence. Filters are wired now (the
# default seeds show no gap); set this to False to make such an answer fail the run.
TOLERATE_FILTER_UNIMPLEMENTED = True

# PutTypes with two different entries for one (name, version) of a kind: MLMD and mlmd-ts store
# different types (KNOWN_DIVERGENCES put_types_batch_snapshot), which would stop every run that
# generates one. Off until that is decided; identical repeated entries are still generated.
GENERATE_PUT_TYPES_SAME_NAME = False

# When a known divergence changes what is stored (one side wrote, the other refused), the rest
# of the run could only diverge further: the run for that seed stops there and says so.

# ---------------------------------------------------------------------------------------------
# Constants and value pools
# ---------------------------------------------------------------------------------------------

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
KINDS = ("artifact", "execution", "context")
CODE_NAMES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND", 6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION", 10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED",
    13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}
ORDER = mlmd.ListOperationOptions.OrderByField
TIME_FIELDS = ("create_time_since_epoch", "last_update_time_since_epoch", "milliseconds_since_epoch")

INT_POOL = [0, 1, -1, 7, 42, -1000, INT64_MIN, INT64_MAX, INT64_MIN + 1, INT64_MAX - 1,
            2**53 + 1, -(2**53) - 1, 2**31, -(2**31) - 1]
DOUBLE_POOL = [0.0, 1.5, -2.25, 0.1, 0.5, 123456.789, -1234.015625, 1e15, -7.5e14,
               3e-06, 999999.999999, -0.000001, 2.0**40]
STRING_POOL = ["", "a", "hello world", "it's", 'say "hi"', "back\\slash", "%d %s %%", "new\nline",
               "tab\there", "ünïcødé", "日本語テキスト", "🙂🚀", "e\u0301", "x" * 300,
               "'; DROP TABLE Artifact; --", "mlmd", "  spaced  "]
NUL_STRINGS = ["ab\x00cd", "\x00", "x\x00", "\x00tail"]
URI_POOL = ["", "s3://bucket/a", "s3://bucket/b", "gs://ü/数据", "file:///tmp/x y", "s3://bucket/a?v=1"]
NODE_NAMES = ["n1", "n2", "n3", "", "ñame", "名前", "it's", "with space"]
CONTEXT_NAMES = ["run-1", "run-2", "run-3", "pipeline", "ctx ü", "上下文", "a'b"]
TYPE_NAMES = {
    "artifact": ["Dataset", "Model", "Ünïcode型", "Art'q"],
    "execution": ["Trainer", "Evaluator", "处理"],
    "context": ["Pipeline", "Run", 'Ctx"q'],
}
VERSIONS = [None, None, None, "v1", "v2", ""]
DECLARED = [("p_int", mlmd.INT), ("p_double", mlmd.DOUBLE), ("p_string", mlmd.STRING),
            ("p_struct", mlmd.STRUCT), ("p_proto", mlmd.PROTO), ("p_bool", mlmd.BOOLEAN)]
CUSTOM_NAMES = ["c_int", "c_double", "c_string", "c_struct", "c_proto", "c_bool", "c_any", "c_ü"]
PATH_KEYS = ["examples", "model", "ü", "", "a b"]
KIND_OF_VALUE = {mlmd.INT: "int_value", mlmd.DOUBLE: "double_value", mlmd.STRING: "string_value",
                 mlmd.STRUCT: "struct_value", mlmd.PROTO: "proto_value", mlmd.BOOLEAN: "bool_value"}


INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
# On PostgreSQL and MySQL, MLMD's int_value and EventPath.step_index are 32-bit INT columns
# (anything wider: INTERNAL "out of range"), so the generator keeps ints inside int32 there.
INT32_POOL = [v for v in INT_POOL if INT32_MIN <= v <= INT32_MAX] + [INT32_MIN, INT32_MAX, INT32_MIN + 1]
# MLMD on PostgreSQL cannot store a backslash in any text it writes as a literal (it wraps
# libpq's E'…' literal in quotes again: syntax error, INTERNAL), so no string it stores as text
# holds one there (Struct strings are stored base64-encoded and keep theirs).
POSTGRESQL_STRING_POOL = [text for text in STRING_POOL if "\\" not in text]


def mlmd_double(x: float) -> float:
    """A double as MLMD reads it back: printf('%f'), then SQLite's 15-significant-digit text."""
    if math.isnan(x) or math.isinf(x):
        return x
    return float("%.15g" % float("%f" % x))


assert all(mlmd_double(d) == d for d in DOUBLE_POOL)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


KIND = {
    "artifact": dict(
        node=mlmd.Artifact, type=mlmd.ArtifactType, plural="artifacts", type_field="artifact_type",
        types_field="artifact_types", put="PutArtifacts", ids="artifact_ids", put_type="PutArtifactType",
        by_id="GetArtifactsByID", list="GetArtifacts", by_type="GetArtifactsByType",
        by_type_and_name="GetArtifactByTypeAndName", name_field="artifact_name", single="artifact",
        by_ext="GetArtifactsByExternalIds", get_type="GetArtifactType", types_by_id="GetArtifactTypesByID",
        types="GetArtifactTypes", types_by_ext="GetArtifactTypesByExternalIds", type_ids="type_ids",
        by_context="GetArtifactsByContext", state="state",
    ),
    "execution": dict(
        node=mlmd.Execution, type=mlmd.ExecutionType, plural="executions", type_field="execution_type",
        types_field="execution_types", put="PutExecutions", ids="execution_ids",
        put_type="PutExecutionType", by_id="GetExecutionsByID", list="GetExecutions",
        by_type="GetExecutionsByType", by_type_and_name="GetExecutionByTypeAndName",
        name_field="execution_name", single="execution", by_ext="GetExecutionsByExternalIds",
        get_type="GetExecutionType", types_by_id="GetExecutionTypesByID", types="GetExecutionTypes",
        types_by_ext="GetExecutionTypesByExternalIds", type_ids="type_ids",
        by_context="GetExecutionsByContext", state="last_known_state",
    ),
    "context": dict(
        node=mlmd.Context, type=mlmd.ContextType, plural="contexts", type_field="context_type",
        types_field="context_types", put="PutContexts", ids="context_ids", put_type="PutContextType",
        by_id="GetContextsByID", list="GetContexts", by_type="GetContextsByType",
        by_type_and_name="GetContextByTypeAndName", name_field="context_name", single="context",
        by_ext="GetContextsByExternalIds", get_type="GetContextType", types_by_id="GetContextTypesByID",
        types="GetContextTypes", types_by_ext="GetContextTypesByExternalIds", type_ids="type_ids",
        by_context=None, state=None,
    ),
}


def request_of(rpc: str, **fields):
    return getattr(svc, rpc + "Request")(**fields)


def response_class(rpc: str):
    return getattr(svc, rpc + "Response")


# ---------------------------------------------------------------------------------------------
# The two stores
# ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    response: Any = None
    code: str = "OK"
    message: str = ""
    start: int = 0
    end: int = 0

    def describe(self) -> str:
        if self.ok:
            return "OK " + short_text(self.response)
        return f"{self.code}: {self.message[:300]}"


def short_text(message, limit=1500) -> str:
    text = text_format.MessageToString(message, as_one_line=True, as_utf8=True)
    return text if len(text) <= limit else text[:limit] + " …"


EMULATED = {"GetParentContextsByContexts", "GetChildrenContextsByContexts"}


class MlmdSide:
    """The real MLMD, in process, on a SQLite file."""

    name = "mlmd"

    def __init__(self, path: str):
        if engine_of(path) != "sqlite":
            # An empty PostgreSQL or MySQL database: ConnectionConfig.postgresql / .mysql.
            config = server_config(path)
        else:
            config = mlmd.ConnectionConfig()
            config.sqlite.filename_uri = path
            config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
        self._store = metadata_store.MetadataStore(config)
        self._handle = self._store._metadata_store

    def call(self, rpc: str, request) -> Outcome:
        if rpc in EMULATED:
            return self._emulated(rpc, request)
        start = now_ms()
        response_bytes, message, code = getattr(mlmd_cc, rpc)(self._handle, request.SerializeToString())
        end = now_ms()
        if code != 0:
            text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
            return Outcome(False, None, CODE_NAMES.get(code, str(code)), text, start, end)
        response = response_class(rpc)()
        response.ParseFromString(response_bytes)
        return Outcome(True, response, "OK", "", start, end)

    def _emulated(self, rpc: str, request) -> Outcome:
        parents = rpc == "GetParentContextsByContexts"
        start = now_ms()
        if len(request.context_ids) == 0:
            return Outcome(False, None, "INVALID_ARGUMENT", "context_ids is empty (emulated)", start, now_ms())
        response = response_class(rpc)()
        for context_id in dict.fromkeys(request.context_ids):
            single = "GetParentContextsByContext" if parents else "GetChildrenContextsByContext"
            outcome = self.call(single, request_of(single, context_id=context_id))
            if not outcome.ok:
                return Outcome(False, None, outcome.code, outcome.message, start, now_ms())
            if outcome.response.contexts:
                entry = response.contexts[context_id]
                target = entry.parent_contexts if parents else entry.children_contexts
                target.extend(outcome.response.contexts)
        return Outcome(True, response, "OK", "", start, now_ms())


class OursSide:
    """mlmd-ts (or any MLMD endpoint) over gRPC, without the Python client's retries."""

    name = "ours"

    def __init__(self, target: str):
        self._channel = grpc.insecure_channel(
            target, options=[("grpc.max_receive_message_length", 256 << 20)]
        )
        grpc.channel_ready_future(self._channel).result(timeout=60)
        self._stub = svc_grpc.MetadataStoreServiceStub(self._channel)

    def call(self, rpc: str, request) -> Outcome:
        start = now_ms()
        try:
            response = getattr(self._stub, rpc)(request, timeout=120)
        except grpc.RpcError as error:
            end = now_ms()
            return Outcome(False, None, error.code().name, error.details() or "", start, end)
        return Outcome(True, response, "OK", "", start, now_ms())

    def close(self):
        self._channel.close()


# ---------------------------------------------------------------------------------------------
# Canonical form of responses, and the normalisations applied to it
# ---------------------------------------------------------------------------------------------

INT64_TYPES = {
    descriptor.FieldDescriptor.TYPE_INT64, descriptor.FieldDescriptor.TYPE_SINT64,
    descriptor.FieldDescriptor.TYPE_SFIXED64, descriptor.FieldDescriptor.TYPE_UINT64,
    descriptor.FieldDescriptor.TYPE_FIXED64,
}


# How far a stamp may lie outside the window of the operation that took it (see Stamps.label).
# Write operations are spaced so that the widened windows never overlap.
STAMP_SLACK_MS = 3
WRITE_SPACING_MS = 2 * STAMP_SLACK_MS + 2


class Stamps:
    """Each side's write windows: a stamp taken during write operation k becomes '@k'."""

    def __init__(self):
        self.windows: List[Tuple[int, int, int]] = []  # (start, end, op index), ascending

    def add(self, start: int, end: int, op_index: int):
        self.windows.append((start, end, op_index))

    def last_end(self) -> int:
        return self.windows[-1][1] if self.windows else 0

    def label(self, value: int):
        # Binary search for the last window whose widened start is at or before the stamp. The
        # slack allows for clock skew: on a busy 2-core machine MLMD's stamps (absl::Now(), which
        # extrapolates the CPU's cycle counter between kernel clock samples) were found just
        # outside the window Python measured around the call. mlmd-ts's stamps may also be moved
        # one millisecond forward to stay strictly increasing.
        lo, hi = 0, len(self.windows) - 1
        found = None
        while lo <= hi:
            mid = (lo + hi) // 2
            if self.windows[mid][0] - STAMP_SLACK_MS <= value:
                found = self.windows[mid]
                lo = mid + 1
            else:
                hi = mid - 1
        if found is not None and value <= found[1] + STAMP_SLACK_MS:
            return f"@{found[2]}"
        return value


class Canon:
    """Turns a message into plain Python values: set fields only (presence), maps as dicts,
    enums as numbers, bytes as base64, stamps as write-operation labels."""

    def __init__(self, stamps: Stamps, ours: bool, applied: Dict[str, int]):
        self.stamps = stamps
        self.ours = ours
        self.applied = applied

    def note(self, name: str):
        if self.ours:
            self.applied[name] = self.applied.get(name, 0) + 1

    def message(self, msg) -> Dict[str, Any]:
        out = {}
        for fd, value in msg.ListFields():
            if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
                value_fd = fd.message_type.fields_by_name["value"]
                out[fd.name] = {str(k): self.value(value_fd, value[k], msg) for k in value}
            elif fd.label == descriptor.FieldDescriptor.LABEL_REPEATED:
                out[fd.name] = [self.value(fd, v, msg) for v in value]
            else:
                out[fd.name] = self.value(fd, value, msg)
        return out

    def value(self, fd, v, parent):
        t = fd.type
        if t in (descriptor.FieldDescriptor.TYPE_MESSAGE, descriptor.FieldDescriptor.TYPE_GROUP):
            return self.message(v)
        if t in INT64_TYPES:
            if fd.name in TIME_FIELDS:
                return self.stamps.label(v)
            return v
        if t in (descriptor.FieldDescriptor.TYPE_DOUBLE, descriptor.FieldDescriptor.TYPE_FLOAT):
            if math.isnan(v):
                return "NaN"
            if fd.name == "double_value" and parent.DESCRIPTOR.full_name == "ml_metadata.Value":
                rounded = mlmd_double(v)
                if rounded != v:
                    self.note("exact_doubles")
                v = rounded
            return 0.0 if v == 0 else v
        if t == descriptor.FieldDescriptor.TYPE_BYTES:
            return base64.b64encode(v).decode("ascii")
        if t == descriptor.FieldDescriptor.TYPE_STRING:
            if (
                "\x00" in v
                and fd.name == "string_value"
                and parent.DESCRIPTOR.full_name == "ml_metadata.Value"
            ):
                self.note("nul_in_strings")
                return v.split("\x00", 1)[0]
            return v
        return v


def first_diff(a, b, path="") -> Optional[str]:
    """The path of the first difference between two canonical values, or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a:
                return f"{path}.{key} (only in mlmd-ts)"
            if key not in b:
                return f"{path}.{key} (only in MLMD)"
            found = first_diff(a[key], b[key], f"{path}.{key}")
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_diff(x, y, f"{path}[{i}]")
            if found is not None:
                return found
        if len(a) != len(b):
            return f"{path} (MLMD has {len(a)} items, mlmd-ts {len(b)})"
        return None
    if a != b or type(a) is not type(b):
        return f"{path}: MLMD {a!r} vs mlmd-ts {b!r}"
    return None


def at(value, path: str):
    """The canonical value at a first_diff path (for reports)."""
    for part in re.findall(r"\.([^.\[]+)|\[(\d+)\]", path.split(" ")[0]):
        key, index = part
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


TYPE_LIST_FIELDS = {"artifact_types", "execution_types", "context_types", "artifact_type",
                    "execution_type", "context_type"}


def normalise_types(m, o, applied):
    """type_reads_complete: drop mlmd-ts's external_id/base_type where MLMD's type lacks them."""
    if isinstance(m, dict) and isinstance(o, dict):
        for key in set(m) & set(o):
            if key in TYPE_LIST_FIELDS:
                if isinstance(m[key], list):
                    # Pair types by id (an order difference is reported on its own).
                    theirs = {t.get("id"): t for t in o[key] if isinstance(t, dict)}
                    pairs = [(t, theirs.get(t.get("id"))) for t in m[key] if isinstance(t, dict)]
                else:
                    pairs = [(m[key], o[key])]
                for mt, ot in pairs:
                    if isinstance(mt, dict) and isinstance(ot, dict):
                        for extra in ("external_id", "base_type"):
                            if extra in ot and extra not in mt:
                                del ot[extra]
                                applied["type_reads_complete"] = applied.get("type_reads_complete", 0) + 1
            else:
                normalise_types(m[key], o[key], applied)
    elif isinstance(m, list) and isinstance(o, list):
        for x, y in zip(m, o):
            normalise_types(x, y, applied)


def kind_of_key(key) -> Optional[str]:
    if key in ("artifact", "artifacts"):
        return "artifact"
    if key in ("execution", "executions"):
        return "execution"
    if key in ("context", "contexts", "parent_contexts", "children_contexts"):
        return "context"
    return None


def kind_of_path(path: str) -> Optional[str]:
    kind = None
    for name in re.findall(r"\.([^.\[]+)", path):
        kind = kind_of_key(name) or kind
    return kind


def sort_key(value):
    return json.dumps(value, sort_keys=True, default=str)


UNORDERED_LIST_FIELDS = {"artifacts", "executions", "contexts", "artifact_types", "execution_types",
                         "context_types", "events", "parent_contexts", "children_contexts"}


def _has_list_options(request) -> bool:
    return any(fd.name == "options" for fd, _ in request.ListFields())


def _sort_unordered(value) -> bool:
    """Sorts node/type lists by id and event lists by content, at any depth; True if any moved."""
    changed = False
    if isinstance(value, dict):
        for key, child in value.items():
            if key in UNORDERED_LIST_FIELDS and isinstance(child, list) and all(isinstance(c, dict) for c in child):
                ordered = sorted(child, key=lambda c: (0, c["id"], "") if isinstance(c.get("id"), int)
                                 else (1, 0, sort_key(c)))
                if ordered != child:
                    value[key] = ordered
                    changed = True
            changed = _sort_unordered(value[key]) or changed
    elif isinstance(value, list):
        for child in value:
            changed = _sort_unordered(child) or changed
    return changed


def decode_token(token: str):
    padded = token + "=" * (-len(token) % 4)
    parsed = mlmd.ListOperationNextPageToken()
    parsed.ParseFromString(base64.urlsafe_b64decode(padded))
    return parsed


ATTRIBUTES = {
    "artifact": ("uri", "state", "name", "external_id"),
    "execution": ("last_known_state", "name", "external_id"),
    "context": ("name", "external_id"),
}


def stored_after_update(kind: str, request, stored, mask: List[str]):
    """What an update stores (MLMD's rules): a full update replaces, a mask touches its paths;
    artifact and execution names never change; a cleared uri is stored as ''."""
    out = type(stored)()
    out.CopyFrom(stored)
    full = len(mask) == 0
    for name in ATTRIBUTES[kind]:
        if name == "name" and kind != "context":
            continue
        if full or name in mask:
            if request.HasField(name):
                setattr(out, name, getattr(request, name))
            else:
                out.ClearField(name)
                if name == "uri":
                    out.uri = ""
    for map_name in ("properties", "custom_properties"):
        target, source = getattr(out, map_name), getattr(request, map_name)
        if full or map_name in mask:
            target.clear()
            for key in source:
                target[key].CopyFrom(source[key])
            continue
        for path in mask:
            if path.startswith(map_name + "."):
                key = path[len(map_name) + 1:]
                if key in source:
                    target[key].CopyFrom(source[key])
                elif key in target:
                    del target[key]
    return out


def mlmd_only_bump(kind: str, request, stored, mask: List[str]) -> bool:
    """Whether MLMD moves last_update_time for this update although nothing it stores changes
    (normalisation last_update_bump): MLMD compares the request's attributes (`type`, a name it
    will not store, a missing uri it stores as '' …) with the stored node, mlmd-ts what it stores."""
    ignored = ("type_id", "properties", "custom_properties", "create_time_since_epoch",
               "last_update_time_since_epoch")
    a, b = type(stored)(), type(stored)()
    a.CopyFrom(request)
    b.CopyFrom(stored)
    for name in ignored:
        a.ClearField(name)
        b.ClearField(name)
    if a == b:
        return False
    return stored_after_update(kind, request, stored, mask) == stored


# ---------------------------------------------------------------------------------------------
# The generator's model of the store (MLMD's view; both stores hold the same while they agree)
# ---------------------------------------------------------------------------------------------


class Model:
    def __init__(self, mlmd_side: MlmdSide):
        self.side = mlmd_side
        self.types: Dict[str, Dict[int, Any]] = {k: {} for k in KINDS}
        self.simple: Dict[str, Dict[int, Any]] = {k: {} for k in KINDS}
        self.nodes: Dict[str, Dict[int, Any]] = {k: {} for k in KINDS}
        self.events = set()  # (artifact_id, execution_id, type)
        self.attributions = set()  # (context_id, artifact_id)
        self.associations = set()  # (context_id, execution_id)
        self.parents = set()  # (child_id, parent_id)
        self.refresh_types()

    def read(self, rpc: str, **fields):
        outcome = self.side.call(rpc, request_of(rpc, **fields))
        if not outcome.ok:
            raise RuntimeError(f"model read {rpc} failed: {outcome.code} {outcome.message}")
        return outcome.response

    def refresh_types(self):
        for kind in KINDS:
            k = KIND[kind]
            listed = self.read(k["types"])
            self.types[kind] = {t.id: t for t in getattr(listed, k["types_field"])}
            if kind != "context":
                ids = list(range(1, 10))
                every = self.read(k["types_by_id"], type_ids=ids)
                self.simple[kind] = {
                    t.id: t for t in getattr(every, k["types_field"]) if t.name.startswith("mlmd.")
                }
            # Full records (external ids) for the user types.
            if self.types[kind]:
                full = self.read(k["types_by_id"], type_ids=list(self.types[kind]))
                self.types[kind] = {t.id: t for t in getattr(full, k["types_field"])}

    def refresh_nodes(self, kind: str, ids):
        ids = sorted({i for i in ids if i > 0})
        if not ids:
            return
        k = KIND[kind]
        got = self.read(k["by_id"], **{k["ids"]: ids})
        for node in getattr(got, k["plural"]):
            self.nodes[kind][node.id] = node

    def refresh_events(self, execution_ids):
        ids = sorted(set(execution_ids))
        if not ids:
            return
        got = self.read("GetEventsByExecutionIDs", execution_ids=ids)
        for event in got.events:
            self.events.add((event.artifact_id, event.execution_id, event.type))

    def refresh_links(self, context_ids):
        for context_id in sorted(set(context_ids)):
            arts = self.read("GetArtifactsByContext", context_id=context_id)
            for a in arts.artifacts:
                self.attributions.add((context_id, a.id))
            exes = self.read("GetExecutionsByContext", context_id=context_id)
            for e in exes.executions:
                self.associations.add((context_id, e.id))

    def all_types(self, kind: str, simple=True):
        found = dict(self.types[kind])
        if simple:
            found.update(self.simple[kind])
        return found

    def external_ids(self):
        out = set()
        for kind in KINDS:
            out.update(n.external_id for n in self.nodes[kind].values() if n.HasField("external_id"))
        return out

    def type_external_ids(self):
        out = set()
        for kind in KINDS:
            out.update(t.external_id for t in self.types[kind].values() if t.HasField("external_id"))
        return out

    def ancestors(self, context_id: int):
        seen, todo = set(), [context_id]
        while todo:
            current = todo.pop()
            for child, parent in self.parents:
                if child == current and parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen


# ---------------------------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------------------------


@dataclass
class Op:
    rpc: str
    request: Any
    note: str = ""
    write: bool = False
    ours_request: Any = None  # when mlmd-ts needs a different request (its own stamps)
    listing: Optional[str] = None  # the response's node field for a listing walked by tokens
    mismatch_token: bool = False  # the second page flips the order (INVALID_ARGUMENT)
    after: Optional[Callable[[Any], None]] = None  # model update when MLMD succeeded
    # Nodes this write updates in a way MLMD counts as a change and mlmd-ts does not (an
    # update without `type`, a new name for an artifact or execution): last_update_bump.
    typeless: List[int] = field(default_factory=list)
    unordered: Tuple[str, ...] = ()  # response lists compared as sets

    def has_filter(self) -> bool:
        text = short_text(self.request, limit=10**9)
        return bool(re.search(r'filter_query: "[^"]', text))


class Generator:
    def __init__(self, seed: int, model: Model, filters: bool, engine: str = "sqlite"):
        self.engine = engine
        self.strings = POSTGRESQL_STRING_POOL if engine == "postgresql" else STRING_POOL
        self.rng = random.Random(seed)
        self.seed = seed
        self.model = model
        self.filters = filters
        self.serial = 0
        self.op_index = 0

    # -- helpers --------------------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, seq):
        # Sets and protobuf maps iterate in hash order, which changes between processes: sort
        # them so that a seed always generates the same operations.
        if isinstance(seq, (set, frozenset)) or "MapContainer" in type(seq).__name__:
            seq = sorted(seq)
        else:
            seq = list(seq)
        return self.rng.choice(seq) if seq else None

    def fresh(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.seed}_{self.serial}"

    def int_value(self) -> int:
        if self.engine != "sqlite":
            if self.chance(0.3):
                return self.rng.getrandbits(32) - 2**31
            return self.pick(INT32_POOL)
        if self.chance(0.3):
            return self.rng.getrandbits(64) - 2**63
        return self.pick(INT_POOL)

    def double_value(self) -> float:
        if self.chance(0.5):
            return self.pick(DOUBLE_POOL)
        while True:
            # (+ 0.0 turns a rounded -0.0 into 0.0: see NORMALISATIONS["exact_doubles"].)
            x = round(self.rng.uniform(-1e6, 1e6), self.rng.randint(0, 6)) + 0.0
            if mlmd_double(x) == x:
                return x

    def string_value(self) -> str:
        return self.pick(self.strings) if self.chance(0.8) else self.fresh("s")

    def struct_value(self, depth=0):
        s = struct_pb2.Struct()
        for i in range(self.rng.randint(0, 4)):
            s.update({f"k{i}" if self.chance(0.8) else "ü key": self.json_like(depth + 1)})
        return s

    def json_like(self, depth):
        r = self.rng.random()
        if depth < 3 and r < 0.15:
            return {f"f{i}": self.json_like(depth + 1) for i in range(self.rng.randint(0, 3))}
        if depth < 3 and r < 0.3:
            return [self.json_like(depth + 1) for _ in range(self.rng.randint(0, 3))]
        if r < 0.45:
            return None
        if r < 0.6:
            return self.chance(0.5)
        if r < 0.8:
            # Struct numbers are serialized, never printf'ed: any double survives.
            return self.pick([0.0, -0.0, 1.0, -2.5, 1e-7, 1 / 3, 1.7976931348623157e308, 2.0**53])
        return self.pick(STRING_POOL)

    def any_value(self):
        packed = any_pb2.Any()
        r = self.rng.random()
        if r < 0.4:
            packed.Pack(mlmd.Artifact(uri=self.pick(URI_POOL), name=self.pick(NODE_NAMES)))
        elif r < 0.7:
            packed.Pack(self.struct_value())
        else:
            packed.type_url = self.pick(["type.googleapis.com/x.Y", "example.com/ü/T", "t"])
            packed.value = bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 12)))
        return packed

    def set_value(self, value: mlmd.Value, kind: int):
        if kind == mlmd.INT:
            value.int_value = self.int_value()
        elif kind == mlmd.DOUBLE:
            value.double_value = self.double_value()
        elif kind == mlmd.STRING:
            value.string_value = self.string_value()
        elif kind == mlmd.STRUCT:
            value.struct_value.CopyFrom(self.struct_value())
        elif kind == mlmd.PROTO:
            value.proto_value.CopyFrom(self.any_value())
        else:
            value.bool_value = self.chance(0.5)

    def set_custom(self, node, name: Optional[str] = None):
        name = name or self.pick(CUSTOM_NAMES)
        self.set_value(node.custom_properties[name], self.pick([k for _, k in DECLARED]))

    def list_options(self, kind: str, allow_invalid=True) -> Optional[mlmd.ListOperationOptions]:
        if self.chance(0.2):
            return None
        options = mlmd.ListOperationOptions()
        r = self.rng.random()
        if r < 0.85:
            options.max_result_size = self.pick([1, 2, 3, 5, 7, 20, 50, 100, 101, 150])
        elif r < 0.95 or not allow_invalid:
            pass  # default 20
        else:
            options.max_result_size = self.pick([0, -3])
        if self.chance(0.75):
            fields = [ORDER.ID, ORDER.CREATE_TIME, ORDER.LAST_UPDATE_TIME]
            if allow_invalid and self.chance(0.03):
                fields = [ORDER.FIELD_UNSPECIFIED]
            options.order_by_field.field = self.pick(fields)
            if self.chance(0.8):
                options.order_by_field.is_asc = self.chance(0.5)
        elif self.chance(0.2):
            options.order_by_field.is_asc = self.chance(0.5)
        if self.filters and self.chance(0.25):
            options.filter_query = self.filter_query(kind)
        if allow_invalid and self.chance(0.03):
            options.next_page_token = self.pick(["not a token!", "CAUQBRoCCAI", "AAAA", "_-_-"])
        return options

    # -- filter queries -------------------------------------------------------------------

    @staticmethod
    def literal(text: str) -> Optional[str]:
        if re.fullmatch(r"[\w:/.\- ]*", text):
            return f"'{text}'"
        return None

    def filter_query(self, kind: str) -> str:
        m = self.model
        terms = []
        nodes = list(m.nodes[kind].values())
        node = self.pick(nodes)
        if node is not None:
            terms += [f"id = {node.id}", f"id > {node.id}", f"NOT(id = {node.id})", f"type_id = {node.type_id}"]
            if node.HasField("name") and self.literal(node.name):
                terms.append(f"name = {self.literal(node.name)}")
            if node.HasField("external_id") and self.literal(node.external_id):
                terms.append(f"external_id = {self.literal(node.external_id)}")
            if self.literal(node.type):
                terms.append(f"type = {self.literal(node.type)}")
        terms += ["name IS NULL", "name IS NOT NULL", "external_id IS NOT NULL",
                  "create_time_since_epoch > 0", "last_update_time_since_epoch >= create_time_since_epoch",
                  "properties.p_int.int_value > 0", "properties.p_bool.bool_value = true",
                  "properties.p_string.string_value = 'a'", "custom_properties.c_int.int_value < 0",
                  "custom_properties.c_string.string_value LIKE 'h%'", "properties.p_double.double_value > 0.5",
                  "custom_properties.unknown.int_value IS NULL"]
        contexts = list(m.nodes["context"].values())
        context = self.pick(contexts)
        if kind == "artifact":
            terms += ["uri LIKE 's3://%'", "uri = ''", "state = LIVE", "state != LIVE", "state IS NULL",
                      "state IN (PENDING, DELETED)", "events_0.type = INPUT", "events_0.type = OUTPUT"]
            if m.nodes["execution"]:
                terms.append(f"events_0.execution_id = {self.pick(m.nodes['execution'])}")
        if kind == "execution":
            terms += ["last_known_state = RUNNING", "last_known_state != COMPLETE",
                      "last_known_state IS NULL", "events_0.type = INPUT"]
            if m.nodes["artifact"]:
                terms.append(f"events_0.artifact_id = {self.pick(m.nodes['artifact'])}")
        if kind in ("artifact", "execution") and context is not None:
            terms.append(f"contexts_a.id = {context.id}")
            if self.literal(context.name):
                terms.append(f"contexts_a.name = {self.literal(context.name)}")
            if self.literal(context.type):
                terms.append(f"contexts_b.type = {self.literal(context.type)}")
        if kind == "context":
            if context is not None:
                terms += [f"parent_contexts_a.id = {context.id}", f"child_contexts_a.id = {context.id}"]
            if m.nodes["artifact"]:
                terms.append(f"artifacts_a.id = {self.pick(m.nodes['artifact'])}")
            if m.nodes["execution"]:
                terms.append(f"executions_a.id = {self.pick(m.nodes['execution'])}")
        if self.chance(0.06):
            return self.pick(["invalid syntax", "id = 'a'", "state = RUNNING" if kind != "artifact" else
                              "state = RUNNING", "unknown_field = 1", "name = 'x"])
        query = self.pick(terms)
        for _ in range(self.rng.randint(0, 2)):
            query = f"({query}) {self.pick(['AND', 'OR'])} ({self.pick(terms)})"
        return query

    # -- types ----------------------------------------------------------------------------

    def artifact_struct_type(self, depth=0):
        t = mlmd.ArtifactStructType()
        r = self.rng.random() if depth < 2 else self.rng.random() * 0.3
        if r < 0.15:
            t.simple.name = self.pick(TYPE_NAMES["artifact"])
        elif r < 0.25:
            t.none.SetInParent()
        elif r < 0.3:
            t.any.SetInParent()
        elif r < 0.45:
            for _ in range(self.rng.randint(1, 2)):
                t.union_type.candidates.add().CopyFrom(self.artifact_struct_type(depth + 1))
        elif r < 0.55:
            for _ in range(self.rng.randint(1, 2)):
                t.intersection.constraints.add().CopyFrom(self.artifact_struct_type(depth + 1))
        elif r < 0.7:
            t.list.element.CopyFrom(self.artifact_struct_type(depth + 1))
        elif r < 0.8:
            for _ in range(self.rng.randint(0, 2)):
                t.tuple.elements.add().CopyFrom(self.artifact_struct_type(depth + 1))
        else:
            for i in range(self.rng.randint(0, 2)):
                t.dict.properties[f"in{i}"].CopyFrom(self.artifact_struct_type(depth + 1))
            if self.chance(0.5):
                t.dict.none_type_not_required = self.chance(0.5)
            if self.chance(0.3):
                t.dict.extra_properties_type.CopyFrom(self.artifact_struct_type(depth + 1))
        return t

    def make_type(self, kind: str):
        """A type to put: often an existing (name, version) evolved, sometimes a new one."""
        k = KIND[kind]
        t = k["type"]()
        existing = self.pick(self.model.types[kind].values()) if self.chance(0.5) else None
        if existing is not None:
            t.name = existing.name
            if existing.HasField("version"):
                t.version = existing.version
            props = dict(sorted(existing.properties.items()))
            if self.chance(0.3) and props:
                del props[self.pick(props)]
            if self.chance(0.3):
                name, kind_of = self.pick(DECLARED)
                props[name] = kind_of
            if self.chance(0.08) and props:
                name = self.pick(props)
                props[name] = self.pick([kd for _, kd in DECLARED if kd != props[name]])
        else:
            t.name = self.pick(TYPE_NAMES[kind]) if self.chance(0.8) else self.fresh("T")
            version = self.pick(VERSIONS)
            if version is not None:
                t.version = version
            props = dict(self.rng.sample(DECLARED, self.rng.randint(0, len(DECLARED))))
        for name, kind_of in props.items():
            t.properties[name] = kind_of
        if self.chance(0.02):
            t.properties["p_bad"] = mlmd.UNKNOWN
        if self.chance(0.4):
            t.description = self.pick(self.strings[:12])
        r = self.rng.random()
        if r < 0.25:
            t.external_id = self.fresh("tx")
        elif r < 0.3 and self.model.type_external_ids() and self.engine == "sqlite":
            # (server_engine_refused_write_ids: not on PostgreSQL / MySQL.)
            t.external_id = self.pick(sorted(self.model.type_external_ids()))
        elif existing is not None and existing.HasField("external_id") and r < 0.6:
            t.external_id = existing.external_id
        if kind != "context" and self.chance(0.3):
            values = list(k["type"].SystemDefinedBaseType.values())
            if existing is not None and existing.HasField("base_type") and self.chance(0.7):
                t.base_type = existing.base_type
            else:
                t.base_type = self.pick(values[1:]) if self.chance(0.9) else values[0]
        if kind == "context" and self.chance(0.02):
            t.base_type = mlmd.ContextType.UNSET
        if kind == "execution":
            if self.chance(0.3):
                t.input_type.CopyFrom(self.artifact_struct_type())
            if self.chance(0.3):
                t.output_type.CopyFrom(self.artifact_struct_type())
        if self.chance(0.05) and existing is not None:
            t.id = existing.id if self.chance(0.5) else 99999
        if self.chance(0.02):
            t.name = ""
        return t

    def op_put_type(self):
        kind = self.pick(KINDS)
        k = KIND[kind]
        request = request_of(k["put_type"])
        getattr(request, k["type_field"]).CopyFrom(self.make_type(kind))
        self.type_flags(request)
        return Op(k["put_type"], request, write=True, after=lambda _: self.model.refresh_types())

    def type_flags(self, request):
        if self.chance(0.6):
            request.can_add_fields = self.chance(0.7)
        if self.chance(0.5):
            request.can_omit_fields = self.chance(0.6)
        if self.chance(0.1):
            request.can_delete_fields = self.chance(0.5)
        if self.chance(0.04):
            request.all_fields_match = self.chance(0.3)

    def op_put_types(self):
        request = svc.PutTypesRequest()
        for kind in KINDS:
            seen = set()
            for _ in range(self.rng.randint(0, 2)):
                t = self.make_type(kind)
                key = (t.name, t.version or None)
                if key in seen and not GENERATE_PUT_TYPES_SAME_NAME:
                    continue  # see KNOWN_DIVERGENCES put_types_batch_snapshot
                seen.add(key)
                getattr(request, KIND[kind]["types_field"]).add().CopyFrom(t)
        if self.chance(0.2) and request.artifact_types:
            request.artifact_types.add().CopyFrom(request.artifact_types[0])  # repeated entry
        self.type_flags(request)
        return Op("PutTypes", request, write=True, after=lambda _: self.model.refresh_types())

    # -- nodes ----------------------------------------------------------------------------

    def node_type(self, kind: str):
        types = self.model.all_types(kind, simple=self.chance(0.1))
        return self.pick(types.values())

    def new_node(self, kind: str, node_type=None, invalid=False):
        k = KIND[kind]
        node_type = node_type or self.node_type(kind)
        if node_type is None:
            return None
        node = k["node"](type_id=node_type.id)
        if kind == "artifact" and self.chance(0.7):
            node.uri = self.pick(URI_POOL)
        if kind == "context":
            node.name = self.pick(CONTEXT_NAMES) if self.chance(0.6) else self.fresh("ctx")
        elif self.chance(0.5):
            node.name = self.pick(NODE_NAMES) if self.chance(0.5) else self.fresh("n")
        r = self.rng.random()
        if r < 0.25:
            node.external_id = self.fresh("x")
        elif r < 0.28 and self.model.external_ids():
            node.external_id = self.pick(sorted(self.model.external_ids()))  # ALREADY_EXISTS when taken
        if k["state"] and self.chance(0.5):
            setattr(node, k["state"], self.rng.randint(0, 6))
        for name, kind_of in sorted(node_type.properties.items()):
            if self.chance(0.6):
                self.set_value(node.properties[name], kind_of)
        for _ in range(self.rng.randint(0, 3)):
            self.set_custom(node)
        if self.chance(0.05):
            nul = self.pick(NUL_STRINGS)
            # (postgresql_nul_refused: never on PostgreSQL, where mlmd-ts refuses the text.)
            node.custom_properties[self.pick(["nul_a", "nul_b"])].string_value = (
                nul if self.engine != "postgresql" else nul.replace("\x00", " "))
        if self.chance(0.1):
            node.type = node_type.name  # output-only, ignored
        if self.chance(0.05):
            node.create_time_since_epoch = 5  # output-only, ignored
        if invalid:
            self.corrupt_node(kind, node, node_type)
        return node

    def corrupt_node(self, kind, node, node_type):
        r = self.rng.random()
        if r < 0.2:
            node.ClearField("type_id")
        elif r < 0.35:
            node.type_id = 99999
        elif r < 0.45:
            other = self.pick(self.model.all_types(self.pick([x for x in KINDS if x != kind])).values())
            node.type_id = other.id if other is not None else 99998
        elif r < 0.6:
            self.set_value(node.properties["p_undeclared"], mlmd.INT)
        elif r < 0.8 and node_type.properties:
            name = self.pick(node_type.properties)
            wrong = self.pick([kd for _, kd in DECLARED if kd != node_type.properties[name]])
            node.properties[name].Clear()
            self.set_value(node.properties[name], wrong)
        elif r < 0.85 and node_type.properties:
            # A declared property whose Value has no kind set (INVALID_ARGUMENT; never done for
            # custom properties, which crash MLMD's process).
            node.properties[self.pick(node_type.properties)].Clear()
        elif kind == "context":
            node.ClearField("name") if self.chance(0.5) else setattr(node, "name", "")
        else:
            node.type_id = 99999

    def update_of(self, kind: str, node, with_mask: bool, bump_ids: List[int]):
        """An update of a stored node, read-modify-write style, and its mask paths."""
        k = KIND[kind]
        update = k["node"]()
        update.CopyFrom(node)
        node_type = self.model.all_types(kind).get(node.type_id)
        mask: List[str] = []
        changes = self.rng.randint(0, 3)
        for _ in range(changes):
            r = self.rng.random()
            if kind == "artifact" and r < 0.15:
                update.uri = self.pick(URI_POOL)
                mask.append("uri")
            elif kind == "artifact" and r < 0.2:
                update.ClearField("uri")
                mask.append("uri")
            elif k["state"] and r < 0.3:
                if self.chance(0.8):
                    setattr(update, k["state"], self.rng.randint(0, 6))
                else:
                    update.ClearField(k["state"])
                mask.append(k["state"])
            elif r < 0.4:
                if self.chance(0.6):
                    update.external_id = self.fresh("x")
                elif self.model.external_ids() and self.chance(0.3):
                    update.external_id = self.pick(sorted(self.model.external_ids()))
                else:
                    update.ClearField("external_id")
                mask.append("external_id")
            elif r < 0.5:
                if kind == "context":
                    update.name = self.pick(CONTEXT_NAMES) if self.chance(0.5) else self.fresh("ctx")
                else:
                    # Artifact and execution names never change; MLMD still bumps the update
                    # time (last_update_bump, see note_mlmd_bumps), mlmd-ts does not.
                    update.name = self.fresh("renamed")
                mask.append("name")
            elif r < 0.7 and node_type is not None and node_type.properties:
                name = self.pick(node_type.properties)
                if self.chance(0.8):
                    update.properties[name].Clear()
                    self.set_value(update.properties[name], node_type.properties[name])
                elif name in update.properties:
                    del update.properties[name]
                mask.append(self.pick(["properties", f"properties.{name}"]))
            else:
                name = self.pick(CUSTOM_NAMES)
                if self.chance(0.8):
                    update.custom_properties[name].Clear()
                    self.set_custom(update, name)
                elif name in update.custom_properties:
                    del update.custom_properties[name]
                mask.append(self.pick(["custom_properties", f"custom_properties.{name}"]))
        if self.chance(0.15):
            mask.append(self.pick(["", "no_such_field", "type_id", "properties.p_none", "id"]))
        typeless = self.chance(0.3)
        if typeless:
            update.ClearField("type")
        if self.chance(0.2):
            update.ClearField("type_id")
        if self.chance(0.3):
            update.ClearField("create_time_since_epoch")
            update.ClearField("last_update_time_since_epoch")
        if typeless:
            # MLMD bumps last_update_time for every update without `type` (normalisation
            # last_update_bump): make it a real change for both stores.
            self.serial += 1
            update.custom_properties["c_rev"].Clear()
            update.custom_properties["c_rev"].int_value = self.serial
            mask.append("custom_properties.c_rev")
        if not with_mask:
            self.fix_nul(update, [])
        return update, (mask if with_mask else [])

    def fix_nul(self, update, mask: List[str]):
        """nul_in_strings: an update that writes a nul_* property (all of them for a full update,
        or a mask naming them) must change it, since MLMD compares with its truncated copy and
        mlmd-ts with the whole string: replace it or drop it. Call with the request's final mask."""
        writes_all = len(mask) == 0 or "custom_properties" in mask
        for name in sorted(n for n in update.custom_properties if n.startswith("nul_")):
            if writes_all or f"custom_properties.{name}" in mask:
                if self.chance(0.5):
                    del update.custom_properties[name]
                else:
                    self.serial += 1
                    nul = "\x00" if self.engine != "postgresql" else " "  # postgresql_nul_refused
                    update.custom_properties[name].string_value = f"v{self.serial}{nul}z"

    def resend(self, stored):
        """A stored node sent back as a full update, nul_* properties fixed (fix_nul)."""
        node = type(stored)()
        node.CopyFrom(stored)
        self.fix_nul(node, [])
        return node

    def note_mlmd_bumps(self, kind, updates, mask, bump_ids: List[int]):
        for update in updates:
            stored = self.model.nodes[kind].get(update.id)
            if stored is not None and mlmd_only_bump(kind, update, stored, mask):
                bump_ids.append(update.id)

    def ordered_batch(self, kind, updates, inserts):
        """Updates by ascending id, then inserts: stamps taken in one operation then grow with
        the id, so time-ordered listings agree whether or not a millisecond ticks mid-call."""
        return [n for n in sorted(updates, key=lambda n: n.id)] + inserts

    def op_put_nodes(self):
        kind = self.pick(KINDS)
        k = KIND[kind]
        # (server_engine_refused_write_ids: no invalid batches on PostgreSQL / MySQL.)
        invalid = self.chance(0.1) and self.engine == "sqlite"
        existing = list(self.model.nodes[kind].values())
        with_mask = self.chance(0.35)
        typeless: List[int] = []
        updates, inserts, paths = [], [], set()
        for _ in range(self.rng.randint(1, 4)):
            if existing and self.chance(0.45):
                node = self.pick(existing)
                if node.id in [u.id for u in updates]:
                    continue
                update, mask = self.update_of(kind, node, with_mask, typeless)
                updates.append(update)
                paths.update(mask)
            else:
                node = self.new_node(kind)
                if node is None:
                    return None
                inserts.append(node)
        request = request_of(k["put"])
        batch = self.ordered_batch(kind, updates, inserts)
        if with_mask and updates:
            # One mask for the whole request: the union of the updates' paths.
            request.update_mask.paths.extend(sorted(paths))
        for update in updates:
            if with_mask:
                self.fix_nul(update, list(request.update_mask.paths))
        self.note_mlmd_bumps(kind, updates, list(request.update_mask.paths), typeless)
        if invalid:
            target = self.pick(batch)
            if target.HasField("id") and self.chance(0.5):
                others = [t for t in self.model.all_types(kind) if t != target.type_id]
                if self.chance(0.6) or not others:
                    target.id = 99999  # update of an unknown id
                else:
                    target.type_id = self.pick(others)  # update changing the type
            else:
                node_type = self.model.all_types(kind).get(target.type_id) or k["type"]()
                self.corrupt_node(kind, target, node_type)
        getattr(request, k["plural"]).extend(batch)
        note = f"{len(updates)} updates, {len(inserts)} inserts" + (", invalid" if invalid else "")
        note += ", masked" if request.HasField("update_mask") else ""
        if kind == "artifact" and updates and self.chance(0.15):
            request.options.abort_if_latest_updated_time_changed = True
            note += ", OCC"
        return Op(k["put"], request, note=note, write=True, typeless=typeless,
                  after=lambda r: self.model.refresh_nodes(kind, getattr(r, k["ids"])))

    def op_occ(self, op: Op, ours_side: OursSide):
        """Fill PutArtifacts' OCC stamps per side (each side compares with its own clock)."""
        if not op.request.options.abort_if_latest_updated_time_changed:
            return
        ours_request = svc.PutArtifactsRequest()
        ours_request.CopyFrom(op.request)
        stale = self.chance(0.3)
        ids = [a.id for a in op.request.artifacts if a.HasField("id")]
        ours_now = ours_side.call("GetArtifactsByID", svc.GetArtifactsByIDRequest(artifact_ids=ids))
        ours_stamps = {a.id: a.last_update_time_since_epoch for a in ours_now.response.artifacts} if ours_now.ok else {}
        for request, stamps in ((op.request, None), (ours_request, ours_stamps)):
            for artifact in request.artifacts:
                if not artifact.HasField("id"):
                    continue
                if stamps is None:
                    stored = self.model.nodes["artifact"].get(artifact.id)
                    stamp = stored.last_update_time_since_epoch if stored is not None else 0
                else:
                    stamp = stamps.get(artifact.id, 0)
                artifact.last_update_time_since_epoch = stamp - 1 if stale else stamp
        op.ours_request = ours_request
        op.note += ", stale" if stale else ""

    # -- edges ----------------------------------------------------------------------------

    def event(self, artifact_id=None, execution_id=None, event_type=None):
        event = mlmd.Event()
        if artifact_id is not None:
            event.artifact_id = artifact_id
        if execution_id is not None:
            event.execution_id = execution_id
        event.type = event_type if event_type is not None else self.rng.randint(1, 7)
        for _ in range(self.rng.randint(0, 3)):
            step = event.path.steps.add()
            if self.chance(0.5):
                step.index = self.pick([0, 1, -1, 5, INT64_MAX, INT64_MIN] if self.engine == "sqlite"
                                       else [0, 1, -1, 5, INT32_MAX, INT32_MIN])
            elif self.chance(0.95):
                step.key = self.pick(PATH_KEYS)
            # else: a step with neither (dropped by both)
        if self.chance(0.5):
            event.milliseconds_since_epoch = self.pick([0, 1, 1000, -5, INT64_MAX, 1_600_000_000_000])
        return event

    def op_put_events(self):
        arts, exes = list(self.model.nodes["artifact"]), list(self.model.nodes["execution"])
        if not arts or not exes:
            return None
        request = svc.PutEventsRequest()
        for _ in range(self.rng.randint(1, 3)):
            request.events.add().CopyFrom(self.event(self.pick(arts), self.pick(exes)))
        note = ""
        if self.chance(0.12):
            e = self.pick(request.events)
            r = self.rng.random()
            note = "invalid"
            if r < 0.2:
                e.ClearField("artifact_id")
            elif r < 0.4:
                e.ClearField("execution_id")
            elif r < 0.55:
                e.type = mlmd.Event.UNKNOWN if self.chance(0.5) else e.type
                if e.type != mlmd.Event.UNKNOWN:
                    e.ClearField("type")
            elif r < 0.7:
                e.artifact_id = 99999
            elif r < 0.8:
                e.execution_id = 99999
            elif self.model.events:
                a, x, t = self.pick(sorted(self.model.events))
                dup = request.events.add()
                dup.artifact_id, dup.execution_id, dup.type = a, x, t
            else:
                request.events.add().CopyFrom(request.events[0])
        return Op("PutEvents", request, note=note, write=True,
                  after=lambda _: self.model.refresh_events([e.execution_id for e in request.events]))

    def op_put_links(self):
        ctxs = list(self.model.nodes["context"])
        if not ctxs:
            return None
        request = svc.PutAttributionsAndAssociationsRequest()
        for _ in range(self.rng.randint(0, 3)):
            if self.model.nodes["artifact"]:
                request.attributions.add(context_id=self.pick(ctxs), artifact_id=self.pick(self.model.nodes["artifact"]))
        for _ in range(self.rng.randint(0, 3)):
            if self.model.nodes["execution"]:
                request.associations.add(context_id=self.pick(ctxs), execution_id=self.pick(self.model.nodes["execution"]))
        if self.chance(0.2) and request.attributions:
            request.attributions.add().CopyFrom(request.attributions[0])
        if self.chance(0.2) and self.model.attributions:
            c, a = self.pick(sorted(self.model.attributions))
            request.attributions.add(context_id=c, artifact_id=a)
        note = ""
        if self.chance(0.1):
            note = "invalid"
            r = self.rng.random()
            if r < 0.3:
                request.attributions.add(context_id=99999, artifact_id=1)
            elif r < 0.5:
                request.associations.add(context_id=self.pick(ctxs), execution_id=99999)
            elif r < 0.75:
                request.attributions.add(context_id=self.pick(ctxs))
            else:
                request.associations.add(execution_id=1)
        ids = [a.context_id for a in request.attributions] + [a.context_id for a in request.associations]
        return Op("PutAttributionsAndAssociations", request, note=note, write=True,
                  after=lambda _: self.model.refresh_links([i for i in ids if i in self.model.nodes["context"]]))

    def op_put_parents(self):
        ctxs = list(self.model.nodes["context"])
        if len(ctxs) < 2:
            return None
        request = svc.PutParentContextsRequest()
        added = set()
        for _ in range(self.rng.randint(1, 3)):
            child, parent = self.rng.sample(ctxs, 2)
            if (child, parent) in self.model.parents or (child, parent) in added:
                continue
            if child in self.model.ancestors(parent) or any(p == child and c == parent for c, p in added):
                continue
            added.add((child, parent))
            request.parent_contexts.add(child_id=child, parent_id=parent)
        note = ""
        if self.chance(0.2) or not request.parent_contexts:
            note = "invalid"
            r = self.rng.random()
            if r < 0.3 and self.model.parents:
                c, p = self.pick(sorted(self.model.parents))
                request.parent_contexts.add(child_id=c, parent_id=p)  # ALREADY_EXISTS
            elif r < 0.45:
                c = self.pick(ctxs)
                request.parent_contexts.add(child_id=c, parent_id=c)  # self-parent
            elif r < 0.6 and self.model.parents:
                c, p = self.pick(sorted(self.model.parents))
                request.parent_contexts.add(child_id=p, parent_id=c)  # cycle
            elif r < 0.75:
                request.parent_contexts.add(child_id=self.pick(ctxs), parent_id=99999)
            elif r < 0.9:
                request.parent_contexts.add(child_id=self.pick(ctxs))
            else:
                request.parent_contexts.add(parent_id=self.pick(ctxs))

        def after(_):
            self.model.parents.update((p.child_id, p.parent_id) for p in request.parent_contexts)

        return Op("PutParentContexts", request, note=note, write=True, after=after)

    # -- composite writes -----------------------------------------------------------------

    def op_put_execution(self):
        exe_type = self.node_type("execution")
        if exe_type is None:
            return None
        request = svc.PutExecutionRequest()
        typeless: List[int] = []
        existing_exes = list(self.model.nodes["execution"].values())
        if existing_exes and self.chance(0.3):
            update, _ = self.update_of("execution", self.pick(existing_exes), False, typeless)
            request.execution.CopyFrom(update)
        else:
            request.execution.CopyFrom(self.new_node("execution", exe_type))
        execution_id = request.execution.id if request.execution.HasField("id") else None
        known_arts = list(self.model.nodes["artifact"].values())
        by_external = {a.external_id: a.id for a in known_arts if a.HasField("external_id")}
        pairs = []  # (sort key, pair)
        reuse_artifacts = self.chance(0.2)
        used_artifacts = set()
        for _ in range(self.rng.randint(0, 3)):
            pair = svc.PutExecutionRequest.ArtifactAndEvent()
            r = self.rng.random()
            if r < 0.3 and known_arts:
                stored = self.pick(known_arts)
                if stored.id in used_artifacts:
                    continue
                used_artifacts.add(stored.id)
                if self.chance(0.5):
                    update, _ = self.update_of("artifact", stored, False, typeless)
                    pair.artifact.CopyFrom(update)
                else:
                    pair.artifact.CopyFrom(self.resend(stored))
                key = stored.id
            elif r < 0.45 and known_arts:
                stored = self.pick(known_arts)
                if stored.id in used_artifacts:
                    continue
                used_artifacts.add(stored.id)
                pair.event.CopyFrom(self.event(stored.id, execution_id))  # event-only pair
                pairs.append((stored.id, pair))
                continue
            elif r < 0.55 and reuse_artifacts and by_external:
                # A new artifact naming an existing external id: reused (updated) with the option.
                ext = self.pick(sorted(by_external))
                if by_external[ext] in used_artifacts:
                    continue
                used_artifacts.add(by_external[ext])
                node = self.new_node("artifact", self.model.all_types("artifact").get(
                    self.model.nodes["artifact"][by_external[ext]].type_id))
                if node is None:
                    continue
                node.external_id = ext
                pair.artifact.CopyFrom(node)
                key = by_external[ext]
            elif r < 0.6 and not request.execution.HasField("id") and self.chance(0.3):
                pairs.append((10**12, pair))  # empty pair: -1 in the response (never with contexts)
                continue
            else:
                node = self.new_node("artifact")
                if node is None:
                    continue
                pair.artifact.CopyFrom(node)
                key = 10**12 + len(pairs)
                if reuse_artifacts and node.HasField("external_id") and node.external_id in by_external:
                    key = by_external[node.external_id]  # reused: an update of that row
            if self.chance(0.8):
                pair.event.CopyFrom(self.event(None, execution_id if self.chance(0.3) else None))
                if pair.artifact.HasField("id") and self.chance(0.3):
                    pair.event.artifact_id = pair.artifact.id
            pairs.append((key, pair))
        pairs.sort(key=lambda kp: kp[0])
        for _, pair in pairs:
            request.artifact_event_pairs.add().CopyFrom(pair)
        has_empty = any(not p.HasField("artifact") and not p.HasField("event") for _, p in pairs)
        ctx_types = list(self.model.all_types("context").values())
        if ctx_types and not has_empty:
            for _ in range(self.rng.randint(0, 2)):
                stored_ctxs = list(self.model.nodes["context"].values())
                r = self.rng.random()
                if r < 0.35 and stored_ctxs:
                    stored = self.pick(stored_ctxs)
                    if any(c.HasField("id") and c.id == stored.id for c in request.contexts):
                        continue
                    request.contexts.add().CopyFrom(self.resend(stored))
                elif r < 0.5 and stored_ctxs:
                    stored = self.pick(stored_ctxs)
                    clone = request.contexts.add(type_id=stored.type_id, name=stored.name)  # same name, no id
                    if self.chance(0.3):
                        self.set_custom(clone)
                else:
                    node = self.new_node("context")
                    if node is not None:
                        request.contexts.add().CopyFrom(node)
        options = request.options
        if self.chance(0.3):
            options.reuse_context_if_already_exist = True
        if reuse_artifacts:
            options.reuse_artifact_if_already_exist_by_external_id = True
        if self.chance(0.2):
            options.force_update_time = True
        if self.chance(0.15):
            options.force_reuse_context = True
        note = ""
        if self.chance(0.08) and self.engine == "sqlite":  # (server_engine_refused_write_ids)
            note = "invalid"
            r = self.rng.random()
            if r < 0.2:
                request.ClearField("execution")
            elif r < 0.4 and request.artifact_event_pairs:
                request.artifact_event_pairs[0].event.execution_id = 99999
            elif r < 0.55:
                request.contexts.add(type_id=self.pick(self.model.all_types("context")) or 99999)  # no name
            elif r < 0.7:
                pair = request.artifact_event_pairs.add()
                pair.event.type = mlmd.Event.INPUT  # event-only pair without artifact_id
            elif r < 0.85 and self.model.nodes["context"]:
                c = request.contexts.add()
                c.CopyFrom(self.pick(self.model.nodes["context"].values()))
                c.id = 99999
                options.force_reuse_context = True
            else:
                request.execution.type_id = 99999
                request.execution.ClearField("id")

        def after(response):
            self.model.refresh_nodes("execution", [response.execution_id])
            self.model.refresh_nodes("artifact", response.artifact_ids)
            self.model.refresh_nodes("context", response.context_ids)
            self.model.refresh_events([response.execution_id])
            self.model.refresh_links(response.context_ids)

        if request.execution.HasField("id"):
            self.note_mlmd_bumps("execution", [request.execution], [], typeless)
        for pair in request.artifact_event_pairs:
            if not pair.HasField("artifact"):
                continue
            artifact = pair.artifact
            if not artifact.HasField("id") and reuse_artifacts and artifact.external_id in by_external:
                artifact = mlmd.Artifact()
                artifact.CopyFrom(pair.artifact)
                artifact.id = by_external[pair.artifact.external_id]
            if artifact.HasField("id"):
                self.note_mlmd_bumps("artifact", [artifact], [], typeless)
        if not options.force_reuse_context:
            self.note_mlmd_bumps("context", [c for c in request.contexts if c.HasField("id")], [], typeless)
        return Op("PutExecution", request, note=note, write=True, typeless=typeless, after=after)

    def op_put_lineage_subgraph(self):
        request = svc.PutLineageSubgraphRequest()
        typeless: List[int] = []
        reuse_artifacts = self.chance(0.2)
        by_external = {a.external_id: a.id for a in self.model.nodes["artifact"].values() if a.HasField("external_id")}
        for kind, field_name, count in (("context", "contexts", 2), ("artifact", "artifacts", 3),
                                        ("execution", "executions", 2)):
            updates, inserts = [], []
            for _ in range(self.rng.randint(0, count)):
                stored = self.pick(self.model.nodes[kind].values()) if self.chance(0.3) else None
                if stored is not None and stored.id not in [u.id for u in updates]:
                    update, _ = self.update_of(kind, stored, False, typeless)
                    if not update.HasField("type_id"):
                        update.type_id = stored.type_id
                    updates.append(update)
                else:
                    node = self.new_node(kind)
                    if node is not None:
                        inserts.append(node)
            if kind == "artifact" and reuse_artifacts:
                # Inserts naming a stored external id update that row: order them among the updates.
                reused = [n for n in inserts if n.HasField("external_id") and n.external_id in by_external]
                inserts = [n for n in inserts if n not in reused]
                batch = sorted(updates + reused, key=lambda n: n.id if n.HasField("id") else by_external[n.external_id])
                getattr(request, field_name).extend(batch + inserts)
            else:
                getattr(request, field_name).extend(self.ordered_batch(kind, updates, inserts))
        for _ in range(self.rng.randint(0, 4)):
            edge = request.event_edges.add()
            r = self.rng.random()
            execution_index = self.rng.randrange(len(request.executions)) if request.executions else None
            artifact_index = self.rng.randrange(len(request.artifacts)) if request.artifacts else None
            if execution_index is None and self.model.nodes["execution"]:
                edge.event.execution_id = self.pick(self.model.nodes["execution"])
            elif execution_index is not None:
                edge.execution_index = execution_index
                node = request.executions[execution_index]
                if node.HasField("id") and r < 0.3:
                    edge.event.execution_id = node.id
            if artifact_index is None and self.model.nodes["artifact"]:
                edge.event.artifact_id = self.pick(self.model.nodes["artifact"])
            elif artifact_index is not None:
                edge.artifact_index = artifact_index
                node = request.artifacts[artifact_index]
                if node.HasField("id") and r > 0.7:
                    edge.event.artifact_id = node.id
            ev = self.event()
            edge.event.type = ev.type
            edge.event.path.CopyFrom(ev.path)
            if ev.HasField("milliseconds_since_epoch"):
                edge.event.milliseconds_since_epoch = ev.milliseconds_since_epoch
            incomplete = not (edge.HasField("execution_index") or edge.event.HasField("execution_id")) or not (
                edge.HasField("artifact_index") or edge.event.HasField("artifact_id"))
            if incomplete:
                del request.event_edges[-1]
        if self.chance(0.3):
            request.options.reuse_context_if_already_exist = True
        if reuse_artifacts:
            request.options.reuse_artifact_if_already_exist_by_external_id = True
        note = ""
        if self.chance(0.1) and self.engine == "sqlite":  # (server_engine_refused_write_ids)
            note = "invalid"
            r = self.rng.random()
            if r < 0.2:
                request.event_edges.add(execution_index=0, artifact_index=0)  # no event
            elif r < 0.4:
                edge = request.event_edges.add(execution_index=len(request.executions) + 1, artifact_index=0)
                edge.event.type = mlmd.Event.INPUT  # OUT_OF_RANGE
            elif r < 0.55:
                request.event_edges.add().event.type = mlmd.Event.OUTPUT  # neither index nor id
            elif r < 0.7 and request.artifacts:
                request.artifacts[0].ClearField("type_id")
            elif r < 0.85:
                request.executions.add(type_id=99999)
            elif request.executions and request.artifacts:
                edge = request.event_edges.add(execution_index=0, artifact_index=0)
                edge.event.type = mlmd.Event.INPUT
                edge.event.execution_id = 99999  # differs from the node at the index

        def after(response):
            self.model.refresh_nodes("execution", response.execution_ids)
            self.model.refresh_nodes("artifact", response.artifact_ids)
            self.model.refresh_nodes("context", response.context_ids)
            self.model.refresh_events(list(response.execution_ids) + [
                e.event.execution_id for e in request.event_edges if e.event.HasField("execution_id")])
            self.model.refresh_links(response.context_ids)

        if not (request.executions or request.artifacts or request.contexts or request.event_edges):
            return None
        for kind, field_name in (("execution", "executions"), ("artifact", "artifacts"), ("context", "contexts")):
            self.note_mlmd_bumps(kind, [n for n in getattr(request, field_name) if n.HasField("id")], [], typeless)
        if request.options.reuse_artifact_if_already_exist_by_external_id:
            for artifact in request.artifacts:
                if not artifact.HasField("id") and artifact.external_id in by_external:
                    reused = mlmd.Artifact()
                    reused.CopyFrom(artifact)
                    reused.id = by_external[artifact.external_id]
                    self.note_mlmd_bumps("artifact", [reused], [], typeless)
        return Op("PutLineageSubgraph", request, note=note, write=True, typeless=typeless, after=after)

    # -- reads ----------------------------------------------------------------------------

    def some_ids(self, kind: str):
        ids = list(self.model.nodes[kind])
        chosen = self.rng.sample(ids, min(len(ids), self.rng.randint(0, 4)))
        if self.chance(0.3):
            chosen.append(99999)
        if self.chance(0.2) and chosen:
            chosen.append(chosen[0])
        self.rng.shuffle(chosen)
        return chosen

    def op_type_reads(self):
        kind = self.pick(KINDS)
        k = KIND[kind]
        types = list(self.model.all_types(kind).values())
        r = self.rng.random()
        if r < 0.35:
            t = self.pick(types)
            request = request_of(k["get_type"])
            if t is not None and self.chance(0.85):
                request.type_name = t.name
                if t.HasField("version"):
                    request.type_version = t.version
                elif self.chance(0.2):
                    request.type_version = ""
            else:
                request.type_name = self.pick(["NoSuchType", "", "Dataset"])
                if self.chance(0.5):
                    request.type_version = self.pick(["v1", "v9"])
            return Op(k["get_type"], request)
        if r < 0.6:
            ids = [t.id for t in types]
            chosen = self.rng.sample(ids, min(len(ids), self.rng.randint(0, 4))) + (
                [99999] if self.chance(0.3) else [])
            if chosen and self.chance(0.2):
                chosen.append(chosen[0])
            self.rng.shuffle(chosen)
            return Op(k["types_by_id"], request_of(k["types_by_id"], type_ids=chosen))
        if r < 0.75:
            return Op(k["types"], request_of(k["types"]))
        externals = [t.external_id for t in types if t.HasField("external_id")]
        chosen = self.rng.sample(externals, min(len(externals), self.rng.randint(0, 2)))
        if self.chance(0.3):
            chosen.append("no-such-external-id")
        if self.chance(0.08):
            chosen.append("")
        return Op(k["types_by_ext"], request_of(k["types_by_ext"], external_ids=chosen))

    def op_node_reads(self):
        kind = self.pick(KINDS)
        k = KIND[kind]
        r = self.rng.random()
        if r < 0.3:
            request = request_of(k["by_id"], **{k["ids"]: self.some_ids(kind)})
            if kind == "artifact" and self.chance(0.4):
                request.populate_artifact_types = True
            return Op(k["by_id"], request)
        if r < 0.55:
            t = self.pick(self.model.all_types(kind).values())
            request = request_of(k["by_type"])
            if t is not None and self.chance(0.9):
                request.type_name = t.name
                if t.HasField("version"):
                    request.type_version = t.version
            else:
                request.type_name = "NoSuchType"
            options = self.list_options(kind)
            if options is not None:
                request.options.CopyFrom(options)
            return Op(k["by_type"], request, listing=k["plural"], mismatch_token=self.chance(0.05))
        if r < 0.75:
            node = self.pick(self.model.nodes[kind].values())
            request = request_of(k["by_type_and_name"])
            if node is not None:
                t = self.model.all_types(kind).get(node.type_id)
                request.type_name = node.type
                if t is not None and t.HasField("version"):
                    request.type_version = t.version
                setattr(request, k["name_field"], node.name if self.chance(0.8) else "no-such-name")
            else:
                request.type_name = "NoSuchType"
                setattr(request, k["name_field"], "x")
            return Op(k["by_type_and_name"], request)
        if r < 0.85 and kind == "artifact":
            uris = self.rng.sample(URI_POOL, self.rng.randint(0, 3))
            return Op("GetArtifactsByURI", svc.GetArtifactsByURIRequest(uris=uris), unordered=("artifacts",))
        externals = [n.external_id for n in self.model.nodes[kind].values() if n.HasField("external_id")]
        chosen = self.rng.sample(externals, min(len(externals), self.rng.randint(0, 3)))
        if self.chance(0.3):
            chosen.append("no-such-external-id")
        if self.chance(0.08):
            chosen.append("")
        return Op(k["by_ext"], request_of(k["by_ext"], external_ids=chosen))

    def op_edge_reads(self):
        r = self.rng.random()
        if r < 0.25:
            return Op("GetEventsByExecutionIDs", svc.GetEventsByExecutionIDsRequest(execution_ids=self.some_ids("execution")))
        if r < 0.45:
            return Op("GetEventsByArtifactIDs", svc.GetEventsByArtifactIDsRequest(artifact_ids=self.some_ids("artifact")))
        if r < 0.6:
            ids = list(self.model.nodes["artifact"]) + [99999]
            return Op("GetContextsByArtifact", svc.GetContextsByArtifactRequest(artifact_id=self.pick(ids)))
        if r < 0.72:
            ids = list(self.model.nodes["execution"]) + [99999]
            return Op("GetContextsByExecution", svc.GetContextsByExecutionRequest(execution_id=self.pick(ids)))
        ctxs = list(self.model.nodes["context"]) + [99999]
        if r < 0.8:
            return Op("GetParentContextsByContext", svc.GetParentContextsByContextRequest(context_id=self.pick(ctxs)))
        if r < 0.88:
            return Op("GetChildrenContextsByContext", svc.GetChildrenContextsByContextRequest(context_id=self.pick(ctxs)))
        rpc = self.pick(["GetParentContextsByContexts", "GetChildrenContextsByContexts"])
        ids = self.rng.sample(ctxs, min(len(ctxs), self.rng.randint(0 if self.chance(0.1) else 1, 4)))
        return Op(rpc, request_of(rpc, context_ids=ids))

    def op_listing(self):
        kind = self.pick(KINDS)
        k = KIND[kind]
        request = request_of(k["list"])
        options = self.list_options(kind)
        if options is not None:
            request.options.CopyFrom(options)
        return Op(k["list"], request, listing=k["plural"], mismatch_token=self.chance(0.05))

    def op_by_context(self):
        kind = self.pick(["artifact", "execution"])
        k = KIND[kind]
        ctxs = list(self.model.nodes["context"])
        if not ctxs:
            return None
        request = request_of(k["by_context"], context_id=self.pick(ctxs + [99999]))
        options = self.list_options(kind)
        if options is not None:
            request.options.CopyFrom(options)
        return Op(k["by_context"], request, listing=k["plural"], mismatch_token=self.chance(0.05))

    def op_filter_listing(self):
        if not self.filters:
            return None
        kind = self.pick(KINDS)
        k = KIND[kind]
        request = request_of(k["list"])
        request.options.filter_query = self.filter_query(kind)
        if self.chance(0.5):
            request.options.max_result_size = self.pick([2, 5, 100])
        if self.chance(0.5):
            request.options.order_by_field.field = self.pick([ORDER.ID, ORDER.CREATE_TIME])
            request.options.order_by_field.is_asc = self.chance(0.5)
        return Op(k["list"], request, listing=k["plural"])

    def op_lineage_subgraph(self):
        request = svc.GetLineageSubgraphRequest()
        options = request.lineage_subgraph_query_options
        r = self.rng.random()
        arts, exes = list(self.model.nodes["artifact"]), list(self.model.nodes["execution"])
        if r < 0.45 and arts:
            ids = self.rng.sample(arts, min(len(arts), self.rng.randint(1, 3)))
            options.starting_artifacts.filter_query = (
                f"id = {ids[0]}" if len(ids) == 1 else f"id IN ({', '.join(map(str, ids))})")
        elif r < 0.8 and exes:
            options.starting_executions.filter_query = f"id = {self.pick(exes)}"
        elif r < 0.9:
            options.starting_artifacts.filter_query = self.filter_query("artifact")
        elif r < 0.95:
            pass  # no starting nodes: INVALID_ARGUMENT
        else:
            options.starting_artifacts.filter_query = "id = 99999"  # NOT_FOUND
        if not self.filters and (options.HasField("starting_artifacts") or options.HasField("starting_executions")):
            return None
        if self.chance(0.7):
            options.max_num_hops = self.pick([0, 1, 2, 3, 5, 200, -1] if self.chance(0.1) else [0, 1, 2, 3, 5])
        if self.chance(0.5):
            options.direction = self.rng.randint(0, 3)
        if self.chance(0.2):
            ending = options.ending_artifacts if self.chance(0.5) else options.ending_executions
            ending.filter_query = self.pick(["", "id > 3", "type_id > 0"])
            if self.chance(0.5):
                ending.include_ending_nodes = self.chance(0.5)
        if self.chance(0.5):
            paths = ["artifacts", "executions", "contexts", "events", "attributions", "associations",
                     "artifact_types", "execution_types", "context_types", "parent_contexts", "bogus"]
            request.read_mask.paths.extend(self.rng.sample(paths, self.rng.randint(1, 4)))
        lists = ("artifacts", "executions", "contexts", "events", "attributions", "associations",
                 "artifact_types", "execution_types", "context_types")
        return Op("GetLineageSubgraph", request, unordered=tuple(f"lineage_subgraph.{x}" for x in lists))

    # -- the mix --------------------------------------------------------------------------

    def next_op(self) -> Op:
        menu = [
            (self.op_put_type, 7), (self.op_put_types, 2), (self.op_put_nodes, 30), (self.op_put_events, 6),
            (self.op_put_links, 5), (self.op_put_parents, 4), (self.op_put_execution, 9),
            (self.op_put_lineage_subgraph, 5), (self.op_type_reads, 6), (self.op_node_reads, 14),
            (self.op_edge_reads, 8), (self.op_listing, 9), (self.op_by_context, 5),
            (self.op_filter_listing, 4), (self.op_lineage_subgraph, 3),
        ]
        makers, weights = zip(*menu)
        while True:
            maker = self.rng.choices(makers, weights)[0]
            op = maker()
            if op is not None:
                return op


# ---------------------------------------------------------------------------------------------
# Running and comparing
# ---------------------------------------------------------------------------------------------


class Run:
    def __init__(self, seed: int, ops: int, target: str, mlmd_path: str, filters: bool, verbose: bool):
        self.seed = seed
        self.ops = ops
        self.verbose = verbose
        self.mlmd = MlmdSide(mlmd_path)
        self.ours = OursSide(target)
        self.stamps = {"mlmd": Stamps(), "ours": Stamps()}
        self.model = Model(self.mlmd)
        self.engine = engine_of(mlmd_path)
        self.gen = Generator(seed, self.model, filters, self.engine)
        self.applied: Dict[str, int] = {}
        self.divergences: List[Dict[str, Any]] = []
        self.known: Dict[str, int] = {}
        self.filter_gaps: Dict[str, int] = {}
        self.rpcs: set = set()
        self.compared = 0
        self.ops_run = 0
        self.stopped: Optional[str] = None
        self.typeless: Dict[int, set] = {}  # op index -> nodes with MLMD-only bumps (Op.typeless)
        # (kind, id) -> (mlmd-ts stamp label, MLMD stamp label): a stamp difference already
        # reported (known) or normalised, mapped on every later read of that node.
        self.aliases: Dict[Tuple[str, int], Tuple[Any, Any]] = {}
        self.outcomes: Dict[str, int] = {}  # MLMD's status codes of the generated operations
        self.pages = 0  # listing pages compared

    def log(self, text: str):
        if self.verbose:
            print(text, file=sys.stderr)

    # -- calling both sides ---------------------------------------------------------------

    def call_both(self, op: Op, index: int, mlmd_request, ours_request) -> Tuple[Outcome, Outcome]:
        if op.write:
            # Space write operations so that every stamp identifies its operation.
            for side in ("mlmd", "ours"):
                while now_ms() < self.stamps[side].last_end() + WRITE_SPACING_MS:
                    time.sleep(0.0005)
        m = self.mlmd.call(op.rpc, mlmd_request)
        if op.write:
            self.stamps["mlmd"].add(m.start, m.end, index)
            while now_ms() < self.stamps["ours"].last_end() + WRITE_SPACING_MS:
                time.sleep(0.0005)
        o = self.ours.call(op.rpc, ours_request)
        if op.write:
            self.stamps["ours"].add(o.start, o.end, index)
        return m, o

    # -- canonical comparison -------------------------------------------------------------

    def canon_pair(self, op: Op, m: Outcome, o: Outcome):
        cm = Canon(self.stamps["mlmd"], False, self.applied).message(m.response)
        co = Canon(self.stamps["ours"], True, self.applied).message(o.response)
        cm.pop("next_page_token", None)
        co.pop("next_page_token", None)
        normalise_types(cm, co, self.applied)
        if op.rpc == "GetLineageSubgraph":
            graph = co.get("lineage_subgraph", {})
            for key in ("artifacts", "executions", "contexts"):
                if key in graph:
                    slim = [{"id": n["id"]} for n in graph[key]]
                    if slim != graph[key]:
                        self.applied["lineage_whole_nodes"] = self.applied.get("lineage_whole_nodes", 0) + 1
                    graph[key] = slim
        if self.engine != "sqlite" and not _has_list_options(op.request):
            changed = False
            for c in (cm, co):
                changed = _sort_unordered(c) or changed
            if changed:
                name = "server_engine_unordered_reads"
                self.applied[name] = self.applied.get(name, 0) + 1
        for dotted in op.unordered:
            for c in (cm, co):
                target = c
                parts = dotted.split(".")
                for p in parts[:-1]:
                    target = target.get(p, {}) if isinstance(target, dict) else {}
                if isinstance(target, dict) and parts[-1] in target:
                    target[parts[-1]] = sorted(target[parts[-1]], key=sort_key)
        return cm, co

    def apply_aliases(self, value, kind=None):
        if isinstance(value, dict):
            node_id = value.get("id")
            if kind is not None and isinstance(node_id, int) and (kind, node_id) in self.aliases:
                theirs, mine = self.aliases[(kind, node_id)]
                if value.get("last_update_time_since_epoch") == theirs:
                    value["last_update_time_since_epoch"] = mine
            for key, child in value.items():
                self.apply_aliases(child, kind_of_key(key) or kind)
        elif isinstance(value, list):
            for child in value:
                self.apply_aliases(child, kind)

    def alias_from(self, cm, co, diff: str) -> bool:
        """Registers the stamp difference at `diff` as an alias; False if it is not one."""
        path = diff.split(":")[0]
        if not path.endswith(".last_update_time_since_epoch"):
            return False
        mine, theirs = at(cm, path), at(co, path)
        node_path = path[: -len(".last_update_time_since_epoch")]
        node, kind = at(cm, node_path), kind_of_path(node_path)
        if not (isinstance(node, dict) and isinstance(node.get("id"), int) and kind is not None):
            return False
        previous = self.aliases.get((kind, node["id"]))
        if previous is not None and previous[1] == theirs:
            theirs = previous[0]  # `co` was already mapped: keep mlmd-ts's own stamp as the key
        self.aliases[(kind, node["id"])] = (theirs, mine)
        at(co, node_path)["last_update_time_since_epoch"] = mine
        return True

    def bump_tolerated(self, cm, co, diff: str) -> bool:
        """last_update_bump: MLMD's stamp from a type-less update of that node, ours older."""
        if not diff.endswith("vs mlmd-ts " + repr(at(co, diff.split(":")[0]))) or "last_update_time_since_epoch" not in diff:
            return False
        path = diff.split(":")[0]
        mine, theirs = at(cm, path), at(co, path)
        node_path = path.rsplit(".", 1)[0]
        node = at(cm, node_path)
        if not (isinstance(mine, str) and isinstance(theirs, str) and isinstance(node, dict)):
            return False
        m_op, o_op = int(mine[1:]), int(theirs[1:])
        return o_op < m_op and node.get("id") in self.typeless.get(m_op, set())

    def compare(self, op: Op, index: int, m: Outcome, o: Outcome, page: int = 0) -> Optional[Dict[str, Any]]:
        """None when the outcomes agree (after normalisations); otherwise a report."""
        self.compared += 1
        self.rpcs.add(op.rpc)
        if m.ok and o.ok:
            cm, co = self.canon_pair(op, m, o)
            self.apply_aliases(co)
            diff = first_diff(cm, co)
            while diff is not None and self.bump_tolerated(cm, co, diff) and self.alias_from(cm, co, diff):
                self.applied["last_update_bump"] = self.applied.get("last_update_bump", 0) + 1
                diff = first_diff(cm, co)
            if diff is None:
                return None
            return self.report(op, index, m, o, diff, page, mlmd_value=at(cm, diff), ours_value=at(co, diff))
        if not m.ok and not o.ok and m.code == o.code:
            return None
        if TOLERATE_FILTER_UNIMPLEMENTED and o.code == "UNIMPLEMENTED" and op.has_filter():
            self.filter_gaps[op.rpc] = self.filter_gaps.get(op.rpc, 0) + 1
            return None
        return self.report(op, index, m, o, "outcome", page)

    def report(self, op, index, m, o, diff, page, mlmd_value=None, ours_value=None):
        return {
            "seed": self.seed, "op": index, "rpc": op.rpc, "note": op.note, "page": page,
            "request": short_text(op.request), "diff": diff,
            "mlmd": m.describe(), "ours": o.describe(),
            "mlmd_value": repr(mlmd_value)[:300], "ours_value": repr(ours_value)[:300],
            "_op": op, "_m": m, "_o": o,
        }

    def classify(self, report) -> Optional[str]:
        op = report.get("_write", report["_op"])
        view = {"rpc": op.rpc, "request": op.request, "mlmd": report["_m"],
                "ours": report["_o"], "diff": report["diff"], "note": report["note"], "canon": None,
                "run": self}
        if report["_m"].ok and report["_o"].ok:
            cm, co = self.canon_pair(report["_op"], report["_m"], report["_o"])
            self.apply_aliases(co)
            view["canon"] = (cm, co)
        for known in KNOWN_DIVERGENCES:
            try:
                if known.match(view):
                    return known.id
            except Exception:  # a matcher that does not apply to this shape
                continue
        return None

    # -- listings -------------------------------------------------------------------------

    def walk(self, op: Op, index: int) -> List[Dict[str, Any]]:
        """Walks both sides' pages with their own tokens and compares them."""
        field_name = op.listing
        options = op.request.options if op.request.HasField("options") else None
        size = options.max_result_size if options is not None else 20
        order = options.order_by_field.field if options is not None else ORDER.ID
        capped = options is not None and options.HasField("max_result_size") and size > 100
        pages: Dict[str, List[Outcome]] = {"mlmd": [], "ours": []}
        requests = {"mlmd": op.request, "ours": op.request}
        for page in range(40):
            m, o = self.call_both(op, index, requests["mlmd"], requests["ours"])
            pages["mlmd"].append(m)
            pages["ours"].append(o)
            if not (m.ok and o.ok):
                break
            tokens = {s: (p.response.next_page_token if p.response.HasField("next_page_token") else "")
                      for s, p in (("mlmd", m), ("ours", o))}
            if not tokens["mlmd"] or not tokens["ours"] or capped:
                break
            for side in ("mlmd", "ours"):
                nxt = type(op.request)()
                nxt.CopyFrom(op.request)
                nxt.options.next_page_token = tokens[side]
                if op.mismatch_token and page == 0:
                    flipped = ORDER.CREATE_TIME if order != ORDER.CREATE_TIME else ORDER.ID
                    nxt.options.order_by_field.field = flipped
                requests[side] = nxt
        reports = []
        self.pages += len(pages["mlmd"])
        first = pages["mlmd"][0]
        self.outcomes[first.code] = self.outcomes.get(first.code, 0) + 1
        # Page by page.
        for page, (m, o) in enumerate(zip(pages["mlmd"], pages["ours"])):
            if capped and m.ok and o.ok and page == 0:
                report = self.compare_capped(op, index, m, o, field_name)
            else:
                report = self.compare(op, index, m, o, page)
                if report is None and m.ok and o.ok:
                    report = self.compare_tokens(op, index, m, o, order, page)
            if report is not None:
                if order != ORDER.ID and self.repeats_tolerated(op, pages, field_name):
                    self.applied["paging_never_repeats"] = self.applied.get("paging_never_repeats", 0) + 1
                    return []
                kind = kind_of_key(field_name)
                if (order == ORDER.LAST_UPDATE_TIME and any(k == kind for k, _ in self.aliases)
                        and self.common_rows_equal(pages, field_name)):
                    # Some update stamps of this kind differ (a normalised or known difference,
                    # mapped by an alias): the order by update time differs with them. The
                    # nodes both sides listed must still be equal.
                    self.applied["last_update_order"] = self.applied.get("last_update_order", 0) + 1
                    return []
                reports.append(report)
                break
        if not reports and len(pages["mlmd"]) != len(pages["ours"]):
            reports.append(self.report(op, index, pages["mlmd"][-1], pages["ours"][-1], "page count", len(pages["mlmd"])))
        return reports

    def compare_capped(self, op, index, m, o, field_name):
        """page_size_cap: MLMD's 101 rows vs mlmd-ts's 100 (+ the first row of its next page)."""
        self.applied["page_size_cap"] = self.applied.get("page_size_cap", 0) + 1
        m_rows = list(getattr(m.response, field_name))
        o_rows = list(getattr(o.response, field_name))
        trimmed = response_class(op.rpc)()
        getattr(trimmed, field_name).extend(m_rows[:100])
        mine = Outcome(True, trimmed)
        theirs = Outcome(True, response_class(op.rpc)())
        getattr(theirs.response, field_name).extend(o_rows)
        report = self.compare(op, index, mine, theirs)
        if report is not None:
            return report
        more = bool(o.response.next_page_token)
        if (len(m_rows) > 100) != more:
            return self.report(op, index, m, o, "page_size_cap: MLMD has a 101st row iff mlmd-ts has a next page", 0)
        if more:
            nxt = type(op.request)()
            nxt.CopyFrom(op.request)
            nxt.options.next_page_token = o.response.next_page_token
            following = self.ours.call(op.rpc, nxt)
            if not following.ok or not getattr(following.response, field_name):
                return self.report(op, index, m, following, "page_size_cap: mlmd-ts's next page", 1)
            extra = Outcome(True, response_class(op.rpc)())
            getattr(extra.response, field_name).append(m_rows[100])
            first = Outcome(True, response_class(op.rpc)())
            getattr(first.response, field_name).append(getattr(following.response, field_name)[0])
            return self.compare(op, index, extra, first, 1)
        return None

    def compare_tokens(self, op, index, m, o, order, page):
        has_m = m.response.HasField("next_page_token")
        has_o = o.response.HasField("next_page_token")
        tm, to = m.response.next_page_token, o.response.next_page_token
        if has_m != has_o or bool(tm) != bool(to):
            return self.report(op, index, m, o, f"next_page_token presence: MLMD {tm!r} vs mlmd-ts {to!r}", page)
        if not tm:
            return None
        if order == ORDER.ID and tm != to:
            return self.report(op, index, m, o, f"next_page_token: MLMD {tm!r} vs mlmd-ts {to!r}", page)
        if order == ORDER.CREATE_TIME:
            try:
                dm = Canon(self.stamps["mlmd"], False, {}).message(decode_token(tm))
                do = Canon(self.stamps["ours"], True, {}).message(decode_token(to))
            except Exception as error:  # noqa: BLE001 - reported as a divergence
                return self.report(op, index, m, o, f"next_page_token undecodable: {error}", page)
            for d, stamps in ((dm, self.stamps["mlmd"]), (do, self.stamps["ours"])):
                if "field_offset" in d:
                    d["field_offset"] = stamps.label(d["field_offset"])
            diff = first_diff(dm, do)
            if diff is not None:
                return self.report(op, index, m, o, f"next_page_token (decoded) {diff}", page)
        return None

    @staticmethod
    def ok_pages(pages):
        """The pages both sides answered (a refused page, e.g. a mismatched token, is compared
        by its status code on its own)."""
        pairs = list(zip(pages["mlmd"], pages["ours"]))
        while pairs and not (pairs[-1][0].ok and pairs[-1][1].ok) and pairs[-1][0].code == pairs[-1][1].code:
            pairs.pop()
        if not all(m.ok and o.ok for m, o in pairs) or len(pages["mlmd"]) != len(pages["ours"]):
            return None
        return {"mlmd": [m for m, _ in pairs], "ours": [o for _, o in pairs]}

    def common_rows_equal(self, pages, field_name) -> bool:
        pages = self.ok_pages(pages)
        if pages is None:
            return False
        rows = {}
        for side, canon in (("mlmd", Canon(self.stamps["mlmd"], False, {})), ("ours", Canon(self.stamps["ours"], True, {}))):
            found = {}
            for p in pages[side]:
                for node in getattr(p.response, field_name):
                    found[node.id] = canon.message(node)
            rows[side] = found
        common = sorted(set(rows["mlmd"]) & set(rows["ours"]))
        mine = [rows["mlmd"][i] for i in common]
        theirs = [rows["ours"][i] for i in common]
        self.apply_aliases(theirs, kind_of_key(field_name))
        return first_diff(mine, theirs) is None

    def repeats_tolerated(self, op, pages, field_name) -> bool:
        """paging_never_repeats: MLMD's walk repeats rows; compare de-duplicated concatenations."""
        pages = self.ok_pages(pages)
        if pages is None:
            return False
        ids_m = [n.id for p in pages["mlmd"] for n in getattr(p.response, field_name)]
        ids_o = [n.id for p in pages["ours"] for n in getattr(p.response, field_name)]
        if len(set(ids_m)) == len(ids_m):
            return False
        # MLMD's walk came back to rows it had listed (and from there cycles: the rows after
        # them are unreachable). What it did list must be mlmd-ts's rows, in order.
        unique_m = list(dict.fromkeys(ids_m))
        return ids_o[: len(unique_m)] == unique_m

    # -- the loop -------------------------------------------------------------------------

    def execute(self):
        for index in range(self.ops):
            op = self.gen.next_op()
            self.gen.op_index = index
            if op.rpc == "PutArtifacts":
                self.gen.op_occ(op, self.ours)
            self.ops_run += 1
            if op.typeless:
                self.typeless[index] = set(op.typeless)
            if op.listing:
                reports = self.walk(op, index)
                m = o = None
            else:
                m, o = self.call_both(op, index, op.request, op.ours_request or op.request)
                report = self.compare(op, index, m, o)
                reports = [] if report is None else [report]
                self.outcomes[m.code] = self.outcomes.get(m.code, 0) + 1
            self.log(f"[seed {self.seed} op {index}] {op.rpc} {op.note} -> "
                     f"{'diverged' if reports else 'same'}{'' if m is None else ' ' + m.code}"
                     + (f"\n    {short_text(op.request, 3000)}" if op.write else ""))
            for report in reports:
                known = self.classify(report)
                if known is not None:
                    self.known[known] = self.known.get(known, 0) + 1
                    report["known"] = known
                self.divergences.append(report)
            if op.write and any(r["_m"].ok or r["_o"].ok for r in reports):
                # The stores may now hold different data: later comparisons would only repeat it.
                # (When both refused, with different codes, nothing was written.)
                self.stopped = f"stopped after op {index} ({op.rpc}): the stores may hold different data"
                break
            if op.write and m is not None and m.ok and op.after is not None:
                op.after(m.response)
            if op.write and m is not None and m.ok and o.ok and not reports:
                reports = self.read_back(op, index, m.response)
                for report in reports:
                    known = self.classify(report)
                    if known is not None:
                        self.known[known] = self.known.get(known, 0) + 1
                        report["known"] = known
                    self.divergences.append(report)
                if any(not r.get("absorbed") for r in reports):
                    self.stopped = f"stopped after op {index} ({op.rpc}): the stores hold different data"
                    break
        if self.stopped is None:
            self.final_sweep(self.ops)

    def final_sweep(self, index: int):
        """After the last operation: every type, node, event and link of both stores compared,
        through every read RPC that can list them."""
        m = self.model
        ops = []
        for kind in KINDS:
            k = KIND[kind]
            ops.append(Op(k["types"], request_of(k["types"])))
            ops.append(Op(k["types_by_id"], request_of(k["types_by_id"], type_ids=sorted(m.all_types(kind)))))
            ops.append(Op(k["list"], request_of(k["list"])))
            ops.append(Op(k["by_id"], request_of(k["by_id"], **{k["ids"]: sorted(m.nodes[kind])})))
        ops.append(Op("GetEventsByExecutionIDs", svc.GetEventsByExecutionIDsRequest(
            execution_ids=sorted(m.nodes["execution"]))))
        ops.append(Op("GetEventsByArtifactIDs", svc.GetEventsByArtifactIDsRequest(
            artifact_ids=sorted(m.nodes["artifact"]))))
        contexts = sorted(m.nodes["context"])
        if contexts:
            for rpc in ("GetParentContextsByContexts", "GetChildrenContextsByContexts"):
                ops.append(Op(rpc, request_of(rpc, context_ids=contexts)))
        for context_id in contexts[:100]:
            for kind in ("artifact", "execution"):
                rpc = KIND[kind]["by_context"]
                ops.append(Op(rpc, request_of(rpc, context_id=context_id)))
        for op in ops:
            op.note = "final sweep"
            mo, oo = self.call_both(op, index, op.request, op.request)
            report = self.compare(op, index, mo, oo)
            if report is not None:
                known = self.classify(report)
                if known is not None:
                    self.known[known] = self.known.get(known, 0) + 1
                    report["known"] = known
                self.divergences.append(report)

    def read_back(self, op: Op, index: int, response) -> List[Dict[str, Any]]:
        """Reads what a write stored, from both stores: a difference is pinned on the write."""
        touched: Dict[str, List[int]] = {kind: [] for kind in KINDS}
        if op.rpc in ("PutArtifacts", "PutExecutions", "PutContexts"):
            kind = {"PutArtifacts": "artifact", "PutExecutions": "execution", "PutContexts": "context"}[op.rpc]
            touched[kind] = list(getattr(response, KIND[kind]["ids"]))
        elif op.rpc == "PutExecution":
            touched["execution"] = [response.execution_id]
            touched["artifact"] = [i for i in response.artifact_ids if i > 0]
            touched["context"] = list(response.context_ids)
        elif op.rpc == "PutLineageSubgraph":
            touched["execution"] = list(response.execution_ids)
            touched["artifact"] = list(response.artifact_ids)
            touched["context"] = list(response.context_ids)
        reports = []
        for kind, ids in touched.items():
            if not ids:
                continue
            k = KIND[kind]
            check = Op(k["by_id"], request_of(k["by_id"], **{k["ids"]: sorted(set(ids))}),
                       note=f"read-back after {op.rpc} ({op.note})")
            m, o = self.call_both(check, index, check.request, check.request)
            report = self.compare(check, index, m, o)
            while report is not None:
                report["request"] = short_text(op.request) + " || read-back: " + report["request"]
                report["_write"] = op
                reports.append(report)
                # A known difference of update stamps only: record it once, then map it on
                # every later read of the node so that the run goes on.
                known = self.classify(report)
                if known is None or not m.ok or not o.ok:
                    break
                cm, co = self.canon_pair(check, m, o)
                self.apply_aliases(co)
                if not self.alias_from(cm, co, report["diff"]):
                    break
                report["absorbed"] = True
                report = self.compare(check, index, m, o)
        return reports

    def close(self):
        self.ours.close()

    def summary(self) -> Dict[str, Any]:
        clean = []
        for d in self.divergences:
            clean.append({k: v for k, v in d.items() if not k.startswith("_")})
        return {
            "seed": self.seed, "ops": self.ops_run, "compared": self.compared, "rpcs": sorted(self.rpcs),
            "divergences": [d for d in clean if "known" not in d],
            "known": [d for d in clean if "known" in d],
            "filter_gaps": self.filter_gaps, "normalisations": self.applied, "stopped": self.stopped,
            "mlmd_outcomes": self.outcomes, "pages": self.pages,
        }


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def spawn_server(db_path: str):
    """`mlmd-ts serve` on a free port; returns (process, host:port)."""
    command = ["node", "--import", "tsx", os.path.join(REPO_ROOT, "src", "cli", "main.ts"), "serve",
               "--db", db_path, "--port", "0"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    found = re.search(r" on (\S+):(\d+) ", line)
    if found is None:
        process.kill()
        raise RuntimeError(f"mlmd-ts serve did not start: {line}{process.stderr.read()}")
    return process, f"{found.group(1)}:{found.group(2)}"


def run_seed(seed, ops, target, filters, verbose, mlmd_db=None, ours_db=None) -> Dict[str, Any]:
    workdir = tempfile.mkdtemp(prefix="mlmd-differential-")
    process = None
    try:
        if target is None:
            process, target = spawn_server(ours_db or os.path.join(workdir, "ours.sqlite"))
        started = time.time()
        run = Run(seed, ops, target, mlmd_db or os.path.join(workdir, "mlmd.sqlite"), filters, verbose)
        try:
            run.execute()
        finally:
            run.close()
        result = run.summary()
        result["seconds"] = round(time.time() - started, 2)
        return result
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def merge(results: List[Dict[str, Any]]) -> Dict[str, Any]:
    def add(into, more):
        for k, v in more.items():
            into[k] = into.get(k, 0) + v
        return into

    normalisations, gaps, known = {}, {}, {}
    for r in results:
        add(normalisations, r["normalisations"])
        add(gaps, r["filter_gaps"])
        for d in r["known"]:
            known[d["known"]] = known.get(d["known"], 0) + 1
    return {
        "seeds": [r["seed"] for r in results],
        "ops": sum(r["ops"] for r in results),
        "compared": sum(r["compared"] for r in results),
        "rpcs": sorted(set().union(*[set(r["rpcs"]) for r in results])) if results else [],
        "divergences": [d for r in results for d in r["divergences"]],
        "known": known,
        "known_details": [d for r in results for d in r["known"]],
        "filter_gaps": gaps,
        "normalisations": normalisations,
        "stopped": {str(r["seed"]): r["stopped"] for r in results if r["stopped"]},
        "seconds": round(sum(r["seconds"] for r in results), 2),
        "pages": sum(r["pages"] for r in results),
        "mlmd_outcomes": add({}, {}) if not results else
        {k: sum(r["mlmd_outcomes"].get(k, 0) for r in results) for k in set().union(*[r["mlmd_outcomes"] for r in results])},
        "per_seed": [{k: r[k] for k in ("seed", "ops", "compared", "seconds", "stopped")} for r in results],
    }


def print_report(summary: Dict[str, Any]):
    out = sys.stderr
    print(f"differential: seeds {summary['seeds']}, {summary['ops']} operations, "
          f"{summary['compared']} responses compared ({summary['pages']} listing pages), "
          f"{len(summary['rpcs'])} RPCs, {summary['seconds']}s; MLMD's answers: {summary['mlmd_outcomes']}", file=out)
    for d in summary["divergences"]:
        print(f"DIVERGENCE seed {d['seed']} op {d['op']} {d['rpc']} ({d['note']}) page {d['page']}\n"
              f"  request: {d['request'][:800]}\n  at: {d['diff']}\n  MLMD:    {d['mlmd'][:600]}\n"
              f"  mlmd-ts: {d['ours'][:600]}", file=out)
    for name, count in sorted(summary["known"].items()):
        print(f"known divergence {name}: {count}", file=out)
    if summary["filter_gaps"]:
        print(f"filter queries answered UNIMPLEMENTED by mlmd-ts (known gap): {summary['filter_gaps']}", file=out)
    for seed, why in summary["stopped"].items():
        print(f"seed {seed}: {why}", file=out)
    print(f"normalisations applied: {summary['normalisations']}", file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", help="host:port of a fresh mlmd-ts (or MLMD) server")
    parser.add_argument("--spawn-server", action="store_true", help="start mlmd-ts serve per seed")
    parser.add_argument("--seed", type=int, action="append", help="a seed (repeatable)")
    parser.add_argument("--seeds", help="comma-separated seeds")
    parser.add_argument("--ops", type=int, default=None, help="operations per seed")
    parser.add_argument("--no-filters", action="store_true", help="leave out filter queries")
    parser.add_argument("--json", help="also write the summary to this file")
    parser.add_argument("--mlmd-db", help="MLMD's store: an empty postgres:// or mysql:// database")
    parser.add_argument("--ours-db", help="with --spawn-server: the database mlmd-ts serves (empty)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    # A terminated run still stops the server it started and removes its files.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seeds = list(args.seed or [])
    if args.seeds:
        seeds += [int(s) for s in args.seeds.split(",") if s]
    if args.target is None and not args.spawn_server:
        parser.error("give --target HOST:PORT or --spawn-server")
    if not seeds:
        seeds = [int(time.time()) % 100000] if args.spawn_server else [1]
    if args.target is not None and len(seeds) > 1:
        parser.error("--target serves one fresh store: one seed per run")
    if (args.mlmd_db or args.ours_db) and len(seeds) > 1:
        parser.error("--mlmd-db / --ours-db name one empty database each: one seed per run")
    if args.ours_db and not args.spawn_server:
        parser.error("--ours-db needs --spawn-server")
    ops = args.ops if args.ops is not None else (5000 if args.spawn_server else 200)
    results = []
    for seed in seeds:
        print(f"differential: seed {seed}, {ops} operations", file=sys.stderr)
        results.append(run_seed(seed, ops, args.target, not args.no_filters, args.verbose,
                                args.mlmd_db, args.ours_db))
    summary = merge(results)
    summary["normalisation_table"] = {k: {"how": v[0], "why": v[1]} for k, v in NORMALISATIONS.items()}
    summary["known_table"] = {k.id: {"classification": k.classification, "explanation": k.explanation}
                              for k in KNOWN_DIVERGENCES}
    print_report(summary)
    text = json.dumps(summary, default=str)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text)
    print(text)
    return 1 if summary["divergences"] else 0


if __name__ == "__main__":
    sys.exit(main())
