#!/usr/bin/env python3
"""Schema migrations with the real ML Metadata (1.16.0) on PostgreSQL and MySQL: the Python half
of engine-migrate.test.ts. One process runs a whole batch, so a test pays MLMD's import once.

    engine-migrate.oracle.py batch   reads a JSON list of [command, DB, ...] from stdin, runs the
                                     commands in order and prints a JSON list of their results

DB is {"engine": "postgresql"|"mysql", "host", "port", "user", "password", "database"}.

    ["fill", DB]            MLMD creates schema v10 in the empty DB and writes content() to it
    ["downgrade", DB, N]    MLMD downgrades DB to schema version N; result: the version after
    ["upgrade", DB]         MLMD opens DB with enable_upgrade_migration; result: the version after
    ["read", DB]            MLMD opens DB (no migration) and reads everything back, canonically

A failing command gives {"error": "<message>"}; the others still run.
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "conformance", "python"))

from google.protobuf import text_format  # noqa: E402
from ml_metadata.metadata_store import metadata_store  # noqa: E402
from ml_metadata.proto import metadata_store_pb2 as mlmd  # noqa: E402
from ml_metadata.proto import metadata_store_service_pb2 as svc  # noqa: E402

import interchange  # noqa: E402


def connection(db) -> mlmd.ConnectionConfig:
    config = mlmd.ConnectionConfig()
    if db["engine"] == "postgresql":
        config.postgresql.host = db["host"]
        config.postgresql.port = str(db["port"])
        config.postgresql.user = db["user"]
        config.postgresql.password = db["password"]
        config.postgresql.dbname = db["database"]
        config.postgresql.skip_db_creation = True
    else:
        config.mysql.host = db["host"]
        config.mysql.port = int(db["port"])
        config.mysql.user = db["user"]
        config.mysql.password = db["password"]
        config.mysql.database = db["database"]
        config.mysql.skip_db_creation = True
    return config


def content():
    """What every version can hold on both engines, as (rpc, request) pairs.

    Unlike interchange.content() (SQLite): ASCII text only (MLMD's MySQL connection double-encodes
    anything else, and its PostgreSQL literals break on some), 32-bit ints (int_value is INT on
    both engines), doubles with at most 6 decimals (MLMD writes them with %f), and no bool or
    proto values (versions below 10 have no column for them).
    """
    ops = []
    dataset = mlmd.ArtifactType(name="Dataset", version="v1", description="rows", external_id="type:dataset",
                                base_type=mlmd.ArtifactType.DATASET)
    for name, kind in (("span", mlmd.INT), ("ratio", mlmd.DOUBLE), ("split", mlmd.STRING), ("meta", mlmd.STRUCT)):
        dataset.properties[name] = kind
    model = mlmd.ArtifactType(name="Model", base_type=mlmd.ArtifactType.MODEL)
    model.properties["accuracy"] = mlmd.DOUBLE
    trainer = mlmd.ExecutionType(name="Trainer", version="1.0", external_id="type:trainer",
                                 base_type=mlmd.ExecutionType.TRAIN)
    trainer.properties["epochs"] = mlmd.INT
    pipeline = mlmd.ContextType(name="Pipeline", external_id="type:pipeline")
    pipeline.properties["owner"] = mlmd.STRING
    run = mlmd.ContextType(name="Run")
    ops.append(("PutTypes", svc.PutTypesRequest(artifact_types=[dataset, model], execution_types=[trainer],
                                                context_types=[pipeline, run])))  # 10 .. 14

    def artifact(type_id, uri, name=None, external_id=None, state=mlmd.Artifact.LIVE, **props):
        a = mlmd.Artifact(type_id=type_id, uri=uri, state=state)
        if name is not None:
            a.name = name
        if external_id is not None:
            a.external_id = external_id
        for key, value in props.items():
            target = a.custom_properties if key.startswith("c_") else a.properties
            if isinstance(value, bool):
                raise ValueError("no bool values below version 10")
            if isinstance(value, int):
                target[key].int_value = value
            elif isinstance(value, float):
                target[key].double_value = value
            elif isinstance(value, dict):
                target[key].struct_value.update(value)
            else:
                target[key].string_value = value
        return a

    ops.append(("PutArtifacts", svc.PutArtifactsRequest(artifacts=[
        artifact(10, "/data/train", name="train", external_id="art:train", span=3, ratio=0.25, split="train",
                 meta={"rows": 120.0, "cols": ["a", "b"]}, c_note="first", c_n=-2147483648),
        artifact(10, "/data/eval", name="eval", span=4, ratio=0.125, split="eval", c_n=2147483647),
        artifact(11, "/models/m1", state=mlmd.Artifact.PENDING, accuracy=0.875, c_score=1.5),
        artifact(11, "/models/m1"),
    ])))  # 1 .. 4
    e1 = mlmd.Execution(type_id=12, name="train-1", external_id="exe:1",
                        last_known_state=mlmd.Execution.COMPLETE)
    e1.properties["epochs"].int_value = 10
    e1.custom_properties["host"].string_value = "worker-0"
    e2 = mlmd.Execution(type_id=12, last_known_state=mlmd.Execution.RUNNING)
    ops.append(("PutExecutions", svc.PutExecutionsRequest(executions=[e1, e2])))  # 1, 2
    c1 = mlmd.Context(type_id=13, name="pipe", external_id="ctx:pipe")
    c1.properties["owner"].string_value = "team-a"
    c2 = mlmd.Context(type_id=14, name="run-1")
    c2.custom_properties["attempt"].int_value = 2
    c3 = mlmd.Context(type_id=14, name="run-2")
    ops.append(("PutContexts", svc.PutContextsRequest(contexts=[c1, c2, c3])))  # 1 .. 3

    def event(artifact_id, execution_id, kind, *steps):
        e = mlmd.Event(artifact_id=artifact_id, execution_id=execution_id, type=kind,
                       milliseconds_since_epoch=1700000000000 + artifact_id)
        for step in steps:
            if isinstance(step, int):
                e.path.steps.add().index = step
            else:
                e.path.steps.add().key = step
        return e

    ops.append(("PutEvents", svc.PutEventsRequest(events=[
        event(1, 1, mlmd.Event.INPUT, "examples", 0),
        event(2, 1, mlmd.Event.INPUT, "examples", 1),
        event(3, 1, mlmd.Event.OUTPUT, "model"),
        event(3, 2, mlmd.Event.INPUT),
        event(4, 2, mlmd.Event.OUTPUT, "model", 0),
    ])))
    ops.append(("PutAttributionsAndAssociations", svc.PutAttributionsAndAssociationsRequest(
        attributions=[mlmd.Attribution(context_id=1, artifact_id=1), mlmd.Attribution(context_id=2, artifact_id=3)],
        associations=[mlmd.Association(context_id=1, execution_id=1), mlmd.Association(context_id=2, execution_id=1),
                      mlmd.Association(context_id=3, execution_id=2)],
    )))
    ops.append(("PutParentContexts", svc.PutParentContextsRequest(parent_contexts=[
        mlmd.ParentContext(parent_id=1, child_id=2), mlmd.ParentContext(parent_id=1, child_id=3)])))
    return ops


def fill(db):
    store = metadata_store.MetadataStore(connection(db))
    refused = []
    for rpc, request in content():
        _, error, message = interchange.call(store, rpc, request)
        if error is not None:
            refused.append(f"{rpc}: {error} {message}")
    return {"refused": refused}


def downgrade(db, to):
    metadata_store.downgrade_schema(connection(db), to)
    return to


def upgrade(db):
    metadata_store.MetadataStore(connection(db), enable_upgrade_migration=True)
    return 10


def read(db):
    store = metadata_store.MetadataStore(connection(db))
    return [
        {
            "rpc": rpc,
            "request": text_format.MessageToString(request, as_one_line=True, as_utf8=True),
            "answer": interchange.canonical(response) if error is None else {"error": error},
        }
        for rpc, request, response, error in interchange.reads(store)
    ]


COMMANDS = {"fill": fill, "downgrade": downgrade, "upgrade": upgrade, "read": read}


def batch():
    results = []
    for command, *args in json.load(sys.stdin):
        try:
            results.append(COMMANDS[command](*args))
        except Exception as e:  # noqa: BLE001 - reported to the test, which decides
            results.append({"error": f"{type(e).__name__}: {e}"})
    print(json.dumps(results))


if __name__ == "__main__":
    if sys.argv[1:] == ["batch"]:
        batch()
    else:
        sys.exit(__doc__)
