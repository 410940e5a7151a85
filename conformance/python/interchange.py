#!/usr/bin/env python3
"""File interchange between the real ML Metadata (1.16.0) and mlmd-ts: the Python half.

The content (CONTENT: types with versions, base types, external ids and input/output types;
artifacts, executions and contexts with every value kind, int64 extremes, unicode, Struct and
Any; events with paths; attributions, associations, parent contexts; PutExecution and
PutLineageSubgraph) is a list of RPC requests, so that both implementations write exactly the
same thing. conformance/python/interchange.test.ts drives the steps:

    interchange.py requests [ENGINE]         the content for ENGINE (sqlite, the default,
                                             postgresql or mysql): [{rpc, request (base64)}]
    interchange.py write PATH                MLMD writes the content to a new file PATH; prints
                                             [{rpc, response (canonical)}]
    interchange.py dump PATH READS_OUT       MLMD opens PATH (no migration), reads everything
                                             back; writes the reads it made to READS_OUT
                                             ([{rpc, request (base64)}]) and prints the answers
                                             ([{rpc, request (text), answer (canonical)}])
    interchange.py sql PATH                  every row of every MLMD table, with SQLite's
                                             storage class of each value (Structs decoded,
                                             input/output type JSON with sorted keys)
    interchange.py doubles PATH              MLMD reads the custom properties of artifact 1 of
                                             a file (the deliberate-difference probe)

PATH in write and dump may also be a database URL, postgres://USER:PW@HOST:PORT/DB or
mysql://USER:PW@HOST:PORT/DB (user and password percent-encoded) naming an existing database
(empty for write): MLMD then opens it with ConnectionConfig.postgresql / .mysql and
skip_db_creation, and write stores the content for that engine (see content()).

Canonical form (the TS side builds the same one): set fields only, by proto field name; int64
as decimal strings; int32 and enums as numbers; doubles as numbers ("NaN", "Infinity",
"-Infinity" as strings, -0 as 0); bytes as base64; empty repeated fields and maps left out;
errors as {"error": "NOT_FOUND"}.
"""

import base64
import json
import math
import os
import sqlite3
import sys
import urllib.parse

from google.protobuf import any_pb2, descriptor, struct_pb2, text_format
from ml_metadata.metadata_store import metadata_store
from ml_metadata.metadata_store.pywrap.metadata_store_extension import metadata_store as mlmd_cc
from ml_metadata.proto import metadata_store_pb2 as mlmd
from ml_metadata.proto import metadata_store_service_pb2 as svc

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
ENGINES = ("sqlite", "postgresql", "mysql")
CODE_NAMES = {
    1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION",
    10: "ABORTED", 11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE",
    15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}
INT64_TYPES = {
    descriptor.FieldDescriptor.TYPE_INT64, descriptor.FieldDescriptor.TYPE_SINT64,
    descriptor.FieldDescriptor.TYPE_SFIXED64, descriptor.FieldDescriptor.TYPE_UINT64,
    descriptor.FieldDescriptor.TYPE_FIXED64,
}


# ---------------------------------------------------------------------------------------------
# Canonical form
# ---------------------------------------------------------------------------------------------


def canonical(msg):
    out = {}
    for fd, value in msg.ListFields():
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            out[fd.name] = {str(k): scalar(value_fd, value[k]) for k in value}
        elif fd.label == descriptor.FieldDescriptor.LABEL_REPEATED:
            out[fd.name] = [scalar(fd, v) for v in value]
        else:
            out[fd.name] = scalar(fd, value)
    return dict(sorted(out.items()))


def scalar(fd, v):
    t = fd.type
    if t in (descriptor.FieldDescriptor.TYPE_MESSAGE, descriptor.FieldDescriptor.TYPE_GROUP):
        return canonical(v)
    if t in INT64_TYPES:
        return str(v)
    if t in (descriptor.FieldDescriptor.TYPE_DOUBLE, descriptor.FieldDescriptor.TYPE_FLOAT):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return 0 if v == 0 else v
    if t == descriptor.FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(v).decode("ascii")
    return v


# ---------------------------------------------------------------------------------------------
# The content
# ---------------------------------------------------------------------------------------------


def packed(message) -> any_pb2.Any:
    out = any_pb2.Any()
    out.Pack(message)
    return out


def struct(value) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    out.update(value)
    return out


NESTED = {
    "name": "ünïcode 数据 🙂",
    "list": [1, -2.5, "two", True, None, {"deep": [[], {}]}],
    "null": None,
    "big": 1.7976931348623157e308,
    "tiny": 5e-324,
    "third": 1 / 3,
}

# Doubles that MLMD's printf('%f') text and 15-digit read-back keep exactly (README: mlmd-ts
# stores every double exactly; these are the ones both can share).
DOUBLES = [0.25, -1234.5, 1e15, 0.000001, -0.1, 123456.789, 2.0**40]


def value(**kind) -> mlmd.Value:
    out = mlmd.Value()
    [(name, v)] = kind.items()
    if name == "struct_value":
        out.struct_value.CopyFrom(v)
    elif name == "proto_value":
        out.proto_value.CopyFrom(v)
    else:
        setattr(out, name, v)
    return out


def struct_type(**kind) -> mlmd.ArtifactStructType:
    return mlmd.ArtifactStructType(**kind)


def content(engine: str = "sqlite"):
    """The content as (rpc, request) pairs; ids are those a fresh store assigns (types from 10).

    On PostgreSQL and MySQL, MLMD's schema holds int_value and EventPath.step_index in 32-bit
    INT columns and answers INTERNAL for anything wider, so there the int64 extremes become the
    int32 extremes (the widest values both can store). Every other value is the same on every
    engine: the doubles (DOUBLES) survive MLMD's 6-decimal literals and are far below MariaDB's
    1e65 cap; Struct doubles are stored serialized, never as literals.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine}")
    wide = engine == "sqlite"
    big = INT64_MAX if wide else INT32_MAX
    small = INT64_MIN if wide else INT32_MIN
    ops = []
    dataset = mlmd.ArtifactType(
        name="Dataset", version="v1", description="ünïcode 数据集 'q' \"dq\"", external_id="type:dataset:v1",
        base_type=mlmd.ArtifactType.DATASET,
    )
    for name, kind in [("p_int", mlmd.INT), ("p_double", mlmd.DOUBLE), ("p_string", mlmd.STRING),
                       ("p_struct", mlmd.STRUCT), ("p_proto", mlmd.PROTO), ("p_bool", mlmd.BOOLEAN)]:
        dataset.properties[name] = kind
    ops.append(("PutArtifactType", svc.PutArtifactTypeRequest(artifact_type=dataset)))  # 10
    dataset_v2 = mlmd.ArtifactType(name="Dataset", version="v2")
    dataset_v2.properties["day"] = mlmd.INT
    ops.append(("PutArtifactType", svc.PutArtifactTypeRequest(artifact_type=dataset_v2)))  # 11
    model = mlmd.ArtifactType(name="Model", base_type=mlmd.ArtifactType.MODEL)
    model.properties["accuracy"] = mlmd.DOUBLE
    model.properties["framework"] = mlmd.STRING
    ops.append(("PutArtifactType", svc.PutArtifactTypeRequest(artifact_type=model)))  # 12
    trainer = mlmd.ExecutionType(
        name="Trainer", version="1.0", description="trains", external_id="type:trainer",
        base_type=mlmd.ExecutionType.TRAIN,
        input_type=struct_type(dict=mlmd.DictArtifactStructType(
            properties={
                "examples": struct_type(simple=mlmd.ArtifactType(name="Dataset", version="v1")),
                "schema": struct_type(union_type=mlmd.UnionArtifactStructType(candidates=[
                    struct_type(none=mlmd.NoneArtifactStructType()),
                    struct_type(simple=mlmd.ArtifactType(name="Schema")),
                ])),
            },
            none_type_not_required=True,
            extra_properties_type=struct_type(any=mlmd.AnyArtifactStructType()),
        )),
        output_type=struct_type(list=mlmd.ListArtifactStructType(
            element=struct_type(simple=mlmd.ArtifactType(name="Model")))),
    )
    trainer.properties["epochs"] = mlmd.INT
    trainer.properties["config"] = mlmd.STRUCT
    trainer.properties["ok"] = mlmd.BOOLEAN
    ops.append(("PutExecutionType", svc.PutExecutionTypeRequest(execution_type=trainer)))  # 13
    pipeline = mlmd.ContextType(name="Pipeline", version="2024", external_id="type:pipeline", description="p")
    pipeline.properties["owner"] = mlmd.STRING
    ops.append(("PutContextType", svc.PutContextTypeRequest(context_type=pipeline)))  # 14
    evaluator = mlmd.ExecutionType(
        name="Evaluator", base_type=mlmd.ExecutionType.EVALUATE,
        input_type=struct_type(intersection=mlmd.IntersectionArtifactStructType(constraints=[
            struct_type(tuple=mlmd.TupleArtifactStructType(elements=[
                struct_type(simple=mlmd.ArtifactType(name="Model")),
                struct_type(any=mlmd.AnyArtifactStructType()),
            ])),
        ])),
    )
    stats = mlmd.ArtifactType(name="Stats", base_type=mlmd.ArtifactType.STATISTICS, external_id="type:stats")
    run = mlmd.ContextType(name="Run")
    run.properties["attempt"] = mlmd.INT
    ops.append(("PutTypes", svc.PutTypesRequest(
        artifact_types=[stats], execution_types=[evaluator], context_types=[run])))  # 15, 16, 17
    # Evolve Dataset v1: add a property (can_add_fields).
    evolved = mlmd.ArtifactType()
    evolved.CopyFrom(dataset)
    evolved.properties["p_extra"] = mlmd.STRING
    ops.append(("PutArtifactType", svc.PutArtifactTypeRequest(artifact_type=evolved, can_add_fields=True)))

    a1 = mlmd.Artifact(type_id=10, uri="s3://bucket/数据/train", name="train", external_id="art:train",
                       state=mlmd.Artifact.LIVE)
    a1.properties["p_int"].int_value = big
    a1.properties["p_double"].double_value = 0.25
    # MLMD on PostgreSQL cannot store a backslash: it wraps libpq's escaped literal (E'…', which
    # libpq produces for text holding one) in quotes again, and the statement fails (INTERNAL).
    backslash = "/" if engine == "postgresql" else "\\"
    a1.properties["p_string"].string_value = f"ünïcode ✓ 'single' \"double\" {backslash}back{backslash} %d\n\ttab"
    a1.properties["p_struct"].struct_value.CopyFrom(struct(NESTED))
    a1.properties["p_proto"].proto_value.CopyFrom(packed(mlmd.Artifact(uri="inner", name="ïnner")))
    a1.properties["p_bool"].bool_value = True
    a1.custom_properties["c_min"].int_value = small
    a1.custom_properties["c_zero"].int_value = 0
    a1.custom_properties["c_empty"].string_value = ""
    for i, d in enumerate(DOUBLES):
        a1.custom_properties[f"c_double_{i}"].double_value = d
    a1.custom_properties["c_struct"].struct_value.CopyFrom(struct({"k": [1, "two", {"three": True}], "n": None}))
    a1.custom_properties["c_empty_struct"].struct_value.CopyFrom(struct_pb2.Struct())
    a1.custom_properties["c_any_struct"].proto_value.CopyFrom(packed(struct({"x": 1})))
    raw = any_pb2.Any(type_url="example.com/custom.Type", value=b"\x00\x01\xff raw")
    a1.custom_properties["c_any_raw"].proto_value.CopyFrom(raw)
    a1.custom_properties["c_false"].bool_value = False
    a1.custom_properties["ключ 🔑"].string_value = "значение"
    a1.custom_properties["p_int"].string_value = "same name as a declared property"
    a2 = mlmd.Artifact(type_id=10, state=mlmd.Artifact.PENDING)  # no uri, no name
    a2.custom_properties["emoji"].string_value = "🙂🚀"
    a3 = mlmd.Artifact(type_id=12, uri="", name="", external_id="", state=mlmd.Artifact.REFERENCE)
    a3.properties["accuracy"].double_value = 0.987654
    a3.properties["framework"].string_value = "tf"
    a4 = mlmd.Artifact(type_id=11, uri="gs://b/ü")
    a4.properties["day"].int_value = 0
    a4.custom_properties["neg"].int_value = -1
    ops.append(("PutArtifacts", svc.PutArtifactsRequest(artifacts=[a1, a2, a3, a4])))  # 1..4

    e1 = mlmd.Execution(type_id=13, name="train-run", external_id="exe:train", last_known_state=mlmd.Execution.RUNNING)
    e1.properties["epochs"].int_value = 10
    e1.properties["config"].struct_value.CopyFrom(struct({"lr": 0.001, "layers": [64, 32], "name": "ü"}))
    e1.properties["ok"].bool_value = False
    e1.custom_properties["attempt"].int_value = small
    e2 = mlmd.Execution(type_id=16, last_known_state=mlmd.Execution.COMPLETE)
    e3 = mlmd.Execution(type_id=6)  # a simple type (mlmd.Transform)
    ops.append(("PutExecutions", svc.PutExecutionsRequest(executions=[e1, e2, e3])))  # 1..3

    c1 = mlmd.Context(type_id=14, name="pipeline-ü", external_id="ctx:pipe")
    c1.properties["owner"].string_value = "ünïcode owner"
    c2 = mlmd.Context(type_id=17, name="run-1")
    c2.properties["attempt"].int_value = big
    c3 = mlmd.Context(type_id=17, name="run-2")
    c4 = mlmd.Context(type_id=17, name="run-3 'q'")
    ops.append(("PutContexts", svc.PutContextsRequest(contexts=[c1, c2, c3, c4])))  # 1..4

    events = []
    ev = mlmd.Event(artifact_id=1, execution_id=1, type=mlmd.Event.INPUT, milliseconds_since_epoch=1234)
    ev.path.steps.add().key = "examples"
    ev.path.steps.add().index = 0
    ev.path.steps.add().index = big
    events.append(ev)
    ev = mlmd.Event(artifact_id=2, execution_id=1, type=mlmd.Event.DECLARED_INPUT, milliseconds_since_epoch=0)
    ev.path.steps.add().index = small
    ev.path.steps.add().key = "ü key"
    events.append(ev)
    ev = mlmd.Event(artifact_id=3, execution_id=1, type=mlmd.Event.OUTPUT, milliseconds_since_epoch=INT64_MAX)
    ev.path.steps.add().key = ""
    events.append(ev)
    events.append(mlmd.Event(artifact_id=3, execution_id=2, type=mlmd.Event.INPUT, milliseconds_since_epoch=-5))
    events.append(mlmd.Event(artifact_id=4, execution_id=2, type=mlmd.Event.INTERNAL_OUTPUT,
                             milliseconds_since_epoch=1_600_000_000_000))
    events.append(mlmd.Event(artifact_id=1, execution_id=2, type=mlmd.Event.PENDING_OUTPUT,
                             milliseconds_since_epoch=7))
    ops.append(("PutEvents", svc.PutEventsRequest(events=events)))

    ops.append(("PutAttributionsAndAssociations", svc.PutAttributionsAndAssociationsRequest(
        attributions=[mlmd.Attribution(context_id=2, artifact_id=1), mlmd.Attribution(context_id=2, artifact_id=3),
                      mlmd.Attribution(context_id=1, artifact_id=1)],
        associations=[mlmd.Association(context_id=2, execution_id=1), mlmd.Association(context_id=1, execution_id=2)],
    )))
    ops.append(("PutParentContexts", svc.PutParentContextsRequest(parent_contexts=[
        mlmd.ParentContext(child_id=2, parent_id=1), mlmd.ParentContext(child_id=3, parent_id=1),
        mlmd.ParentContext(child_id=4, parent_id=2), mlmd.ParentContext(child_id=4, parent_id=3),
    ])))

    # PutExecution: a new execution reading artifact 3 and writing a new model, in run-1 (by
    # id, with its type and name) and a new run.
    put = svc.PutExecutionRequest(execution=mlmd.Execution(type_id=16, last_known_state=mlmd.Execution.NEW))
    pair = put.artifact_event_pairs.add()
    pair.artifact.CopyFrom(mlmd.Artifact(id=3, type_id=12, uri="", name="", external_id="", state=mlmd.Artifact.REFERENCE))
    pair.artifact.properties["accuracy"].double_value = 0.987654
    pair.artifact.properties["framework"].string_value = "tf"
    pair.event.CopyFrom(mlmd.Event(type=mlmd.Event.INPUT, milliseconds_since_epoch=11))
    pair.event.path.steps.add().key = "model"
    pair = put.artifact_event_pairs.add()
    pair.artifact.CopyFrom(mlmd.Artifact(type_id=12, uri="s3://models/new", name="new-model"))
    pair.artifact.properties["accuracy"].double_value = -0.1
    pair.event.CopyFrom(mlmd.Event(type=mlmd.Event.OUTPUT, milliseconds_since_epoch=12))
    put.contexts.add().CopyFrom(mlmd.Context(id=2, type_id=17, name="run-1"))
    put.contexts[0].properties["attempt"].int_value = big
    put.contexts.add().CopyFrom(mlmd.Context(type_id=17, name="run-4"))
    ops.append(("PutExecution", put))  # execution 4, artifact 5, context 5

    lineage = svc.PutLineageSubgraphRequest(
        executions=[mlmd.Execution(type_id=13, name="lineage-exe")],
        artifacts=[mlmd.Artifact(type_id=10, uri="s3://lineage", external_id="art:lineage")],
        contexts=[mlmd.Context(type_id=14, name="lineage-pipeline")],
    )
    lineage.artifacts[0].properties["p_struct"].struct_value.CopyFrom(struct({"from": "lineage"}))
    edge = lineage.event_edges.add(execution_index=0, artifact_index=0)
    edge.event.type = mlmd.Event.OUTPUT
    edge.event.milliseconds_since_epoch = 13
    edge.event.path.steps.add().index = 3
    edge = lineage.event_edges.add(execution_index=0)
    edge.event.artifact_id = 2
    edge.event.type = mlmd.Event.INPUT
    edge.event.milliseconds_since_epoch = 14
    ops.append(("PutLineageSubgraph", lineage))  # execution 5, artifact 6, context 6

    # A masked update, so that an update time differs from its create time.
    update = mlmd.Artifact(id=2, type_id=10)
    update.custom_properties["emoji"].string_value = "🙂🚀 updated"
    ops.append(("PutArtifacts", svc.PutArtifactsRequest(
        artifacts=[update], update_mask={"paths": ["custom_properties.emoji"]})))
    return ops


# ---------------------------------------------------------------------------------------------
# MLMD in process
# ---------------------------------------------------------------------------------------------


def engine_of(target: str) -> str:
    """The engine a write/dump target names: a postgres:// or mysql:// URL, else a SQLite file."""
    scheme = target.split("://", 1)[0].lower() if "://" in target else ""
    return {"postgres": "postgresql", "postgresql": "postgresql", "mysql": "mysql"}.get(scheme, "sqlite")


def server_config(url: str) -> mlmd.ConnectionConfig:
    """ConnectionConfig.postgresql / .mysql for an existing database named by a URL."""
    parsed = urllib.parse.urlsplit(url)
    user = urllib.parse.unquote(parsed.username or "")
    password = urllib.parse.unquote(parsed.password or "")
    database = parsed.path.lstrip("/")
    config = mlmd.ConnectionConfig()
    if engine_of(url) == "postgresql":
        config.postgresql.host = parsed.hostname or "localhost"
        config.postgresql.port = str(parsed.port or 5432)
        config.postgresql.user = user
        config.postgresql.password = password
        config.postgresql.dbname = database
        # The test made the database; MLMD would otherwise try CREATE DATABASE itself.
        config.postgresql.skip_db_creation = True
    else:
        config.mysql.host = parsed.hostname or "localhost"
        config.mysql.port = parsed.port or 3306
        config.mysql.user = user
        config.mysql.password = password
        config.mysql.database = database
        config.mysql.skip_db_creation = True
    return config


def open_store(path: str, create: bool):
    if engine_of(path) != "sqlite":
        # A server database: MLMD creates schema v10 in an empty one, and refuses another version.
        return metadata_store.MetadataStore(server_config(path))
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = (
        mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE if create else mlmd.SqliteMetadataSourceConfig.READWRITE
    )
    # No enable_upgrade_migration: a file at another schema version is refused.
    return metadata_store.MetadataStore(config)


def call(store, rpc, request):
    response_bytes, message, code = getattr(mlmd_cc, rpc)(store._metadata_store, request.SerializeToString())
    if code != 0:
        return None, CODE_NAMES.get(code, str(code)), message
    response = getattr(svc, rpc + "Response")()
    response.ParseFromString(response_bytes)
    return response, None, None


def encode(request) -> str:
    return base64.b64encode(request.SerializeToString()).decode("ascii")


def cmd_requests(engine: str = "sqlite"):
    print(json.dumps([{"rpc": rpc, "request": encode(request)} for rpc, request in content(engine)]))


def cmd_write(path: str):
    if engine_of(path) == "sqlite" and os.path.exists(path):
        sys.exit(f"{path} exists; write needs a new file")
    store = open_store(path, create=True)
    out = []
    for rpc, request in content(engine_of(path)):
        response, error, message = call(store, rpc, request)
        if error is not None:
            sys.exit(f"MLMD refused {rpc}: {error} {message}")
        out.append({"rpc": rpc, "response": canonical(response)})
    print(json.dumps(out))


def reads(store):
    """Every read that shows what a file holds, built from what MLMD lists."""
    plan = []

    def read(rpc, **fields):
        request = getattr(svc, rpc + "Request")(**fields)
        response, error, _ = call(store, rpc, request)
        plan.append((rpc, request, response, error))
        return response

    type_ids = {}
    versions = {}  # type id -> version
    for kind, plural in (("Artifact", "artifact_types"), ("Execution", "execution_types"), ("Context", "context_types")):
        listed = read(f"Get{kind}Types")
        user = sorted(getattr(listed, plural), key=lambda t: t.id)
        type_ids[kind] = [t.id for t in user]
        # Every id from 1 up: the simple types too, and unknown ids (skipped).
        by_id = read(f"Get{kind}TypesByID", type_ids=list(range(1, max(type_ids[kind] + [9]) + 2)))
        by_id_types = sorted(getattr(by_id, plural), key=lambda t: t.id)
        for t in by_id_types:
            if t.HasField("version"):
                versions[t.id] = t.version
            fields = {"type_name": t.name}
            if t.HasField("version"):
                fields["type_version"] = t.version
            read(f"Get{kind}Type", **fields)
        externals = [t.external_id for t in by_id_types if t.HasField("external_id")]
        if externals and kind != "Execution":
            # (Execution types by external id: mlmd-ts also returns input/output types there,
            # see differential.py KNOWN_DIVERGENCES io_types_in_external_id_reads.)
            read(f"Get{kind}TypesByExternalIds", external_ids=externals)
    nodes = {}
    for kind, plural in (("Artifact", "artifacts"), ("Execution", "executions"), ("Context", "contexts")):
        listed = read(f"Get{kind}s")
        # By id: on PostgreSQL MLMD lists in heap order, which updates change, so that the plan
        # (and the order of reads it makes) would otherwise depend on how the rows were written.
        nodes[kind] = sorted(getattr(listed, plural), key=lambda n: n.id)
        ids = [n.id for n in nodes[kind]]
        read(f"Get{kind}sByID", **{f"{kind.lower()}_ids": ids + [999]})
        externals = [n.external_id for n in nodes[kind] if n.HasField("external_id") and n.external_id]
        if externals:
            read(f"Get{kind}sByExternalIds", external_ids=externals)
        for node in nodes[kind]:
            if node.HasField("name"):
                type_fields = {"type_name": node.type}
                if node.type_id in versions:
                    type_fields["type_version"] = versions[node.type_id]
                read(f"Get{kind}ByTypeAndName", **type_fields, **{f"{kind.lower()}_name": node.name})
        for type_id in sorted({n.type_id for n in nodes[kind]}):
            name = next(n.type for n in nodes[kind] if n.type_id == type_id)
            type_fields = {"type_name": name}
            if type_id in versions:
                type_fields["type_version"] = versions[type_id]
            read(f"Get{kind}sByType", **type_fields)
    for artifact in nodes["Artifact"]:
        # Populated types one artifact at a time (their order across artifacts differs, see
        # differential.py KNOWN_DIVERGENCES populated_types_order).
        read("GetArtifactsByID", artifact_ids=[artifact.id], populate_artifact_types=True)
        read("GetContextsByArtifact", artifact_id=artifact.id)
    for uri in sorted({a.uri for a in nodes["Artifact"]}):
        read("GetArtifactsByURI", uris=[uri])
    read("GetEventsByExecutionIDs", execution_ids=[e.id for e in nodes["Execution"]])
    read("GetEventsByArtifactIDs", artifact_ids=[a.id for a in nodes["Artifact"]])
    for execution in nodes["Execution"]:
        read("GetContextsByExecution", execution_id=execution.id)
    for context in nodes["Context"]:
        read("GetArtifactsByContext", context_id=context.id)
        read("GetExecutionsByContext", context_id=context.id)
        read("GetParentContextsByContext", context_id=context.id)
        read("GetChildrenContextsByContext", context_id=context.id)
    return plan


def cmd_dump(path: str, reads_out: str):
    if engine_of(path) == "sqlite" and not os.path.exists(path):
        sys.exit(f"{path} does not exist")
    store = open_store(path, create=False)
    plan = reads(store)
    with open(reads_out, "w", encoding="utf-8") as f:
        json.dump([{"rpc": rpc, "request": encode(request)} for rpc, request, _, _ in plan], f)
    print(json.dumps([
        {
            "rpc": rpc,
            "request": text_format.MessageToString(request, as_one_line=True, as_utf8=True),
            "answer": canonical(response) if error is None else {"error": error},
        }
        for rpc, request, response, error in plan
    ]))


def cmd_sql(path: str):
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.text_factory = bytes
    tables = [r[0].decode() for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    out = {}
    for table in tables:
        columns = [r[1].decode() for r in connection.execute(f"PRAGMA table_info(`{table}`)")]
        select = ", ".join(f"typeof(`{c}`), `{c}`" for c in columns)
        rows = []
        for row in connection.execute(f"SELECT {select} FROM `{table}` ORDER BY rowid"):
            record = {}
            for i, column in enumerate(columns):
                kind, v = row[2 * i].decode(), row[2 * i + 1]
                if isinstance(v, bytes):
                    v = struct_text(v.decode("utf-8", "backslashreplace"))
                    if table == "Type" and column in ("input_type", "output_type"):
                        v = json_text(v)
                elif isinstance(v, float):
                    v = repr(v)
                record[column] = [kind, v]
            rows.append(record)
        out[table] = {"columns": columns, "rows": rows}
    out["schema"] = sorted(
        [r[0].decode(), r[1].decode()] for r in connection.execute(
            "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))
    out["user_version"] = connection.execute("PRAGMA user_version").fetchone()[0]
    print(json.dumps(out))


STRUCT_PREFIX = "mlmd-struct::"


def struct_text(text: str) -> str:
    """A stored Struct (`mlmd-struct::` + padded base64) as its decoded content: serializers
    order map entries differently, so equal Structs need not have equal bytes."""
    if not text.startswith(STRUCT_PREFIX):
        return text
    try:
        decoded = struct_pb2.Struct.FromString(base64.b64decode(text[len(STRUCT_PREFIX):], validate=True))
    except Exception:  # noqa: BLE001 - left as is, so the comparison shows it
        return text
    return STRUCT_PREFIX + "(decoded) " + json.dumps(canonical(decoded), sort_keys=True)


def json_text(text: str) -> str:
    """Type.input_type/output_type (proto-JSON text) with sorted keys: map entries are printed in
    the order the writer holds them, which need not be the same for equal types."""
    try:
        return "(sorted) " + json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return text


def cmd_doubles(path: str):
    store = open_store(path, create=False)
    response, error, message = call(store, "GetArtifactsByID", svc.GetArtifactsByIDRequest(artifact_ids=[1]))
    if error is not None:
        sys.exit(f"MLMD cannot read {path}: {error} {message}")
    [artifact] = response.artifacts
    print(json.dumps({name: scalar_value(v) for name, v in sorted(artifact.custom_properties.items())}))


def scalar_value(v: mlmd.Value):
    which = v.WhichOneof("value")
    if which == "double_value":
        d = v.double_value
        if math.isnan(d):
            return {"double": "NaN"}
        if math.isinf(d):
            return {"double": "Infinity" if d > 0 else "-Infinity"}
        return {"double": repr(d), "negative_zero": d == 0 and math.copysign(1, d) < 0}
    if which == "string_value":
        return {"string": v.string_value}
    return {which: str(getattr(v, which))}


def main(argv):
    commands = {"requests": (cmd_requests, (0, 1)), "write": (cmd_write, (1,)), "dump": (cmd_dump, (2,)),
                "sql": (cmd_sql, (1,)), "doubles": (cmd_doubles, (1,))}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 not in commands[argv[1]][1]:
        sys.exit(__doc__)
    commands[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
