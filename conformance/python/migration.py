#!/usr/bin/env python3
"""Schema migrations with the real ML Metadata (1.16.0): the Python half of
conformance/python/migration.test.ts.

    migration.py fill PATH          MLMD writes interchange.py's content to a new file PATH (v10),
                                    less bool and proto property values (see strip_lost_values)
    migration.py batch              runs the JSON list of [command, PATH, ...] read from stdin,
                                    in order, in this one process, and prints a JSON list with
                                    one result per command:
        ["downgrade", PATH, N]      MLMD downgrades PATH to schema version N (downgrade_schema)
        ["upgrade", PATH]           MLMD opens PATH with enable_upgrade_migration
        ["version", PATH]           the schema version in PATH's MLMDEnv (0 without one)
        ["read", PATH]              MLMD opens PATH (no migration) and reads everything back:
                                    interchange.py's reads, answers in canonical form
        ["sql", PATH]               every row of every table, and the schema's names
                                    (interchange.py sql)
        ["get_artifacts", PATH]     MLMD's answer to GetArtifacts: {"count": N} or
                                    {"code": "INTERNAL", "message": "..."}
    migration.py write PATH         MLMD writes interchange.py's full content (with bool and
                                    proto values) to a new file PATH

A failing command gives {"error": "<message>"} as its result; the others still run.
"""

import contextlib
import io
import json
import sqlite3
import sys

from google.protobuf import text_format
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

import interchange


def strip_lost_values(message):
    """Drops bool and proto property values from a request, in place.

    Versions below 10 have no column for them, and MLMD's downgrade keeps such a property as a
    row with every value column NULL; MLMD 1.16 then fails every read of its node with INTERNAL
    ("Attempt to populate property with null value in every known *_value column"), even after
    it upgrades the file again itself. The read-back comparison needs files MLMD can read, so
    the content leaves those values out (migration.test.ts shows the MLMD behaviour separately).
    """
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is None:
                continue
            for key in list(value):
                entry = value[key]
                if entry.DESCRIPTOR.full_name == "ml_metadata.Value" and entry.WhichOneof("value") in (
                    "bool_value",
                    "proto_value",
                ):
                    del value[key]
                else:
                    strip_lost_values(entry)
        elif field.label == field.LABEL_REPEATED:
            for item in value:
                strip_lost_values(item)
        else:
            strip_lost_values(value)
    return message


def fill(path: str):
    store = interchange.open_store(path, create=True)
    for rpc, request in interchange.content():
        _, error, message = interchange.call(store, rpc, strip_lost_values(request))
        if error is not None:
            sys.exit(f"MLMD refused {rpc}: {error} {message}")


def connection(path: str) -> mlmd.ConnectionConfig:
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE
    return config


def downgrade(path: str, version: int):
    metadata_store.downgrade_schema(connection(path), version)
    return schema_version(path)


def upgrade(path: str):
    metadata_store.MetadataStore(connection(path), enable_upgrade_migration=True)
    return schema_version(path)


def schema_version(path: str):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        has_env = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'MLMDEnv'").fetchone()[0]
        return db.execute("SELECT schema_version FROM MLMDEnv").fetchone()[0] if has_env else 0
    finally:
        db.close()


def read(path: str):
    store = interchange.open_store(path, create=False)
    return [
        {
            "rpc": rpc,
            "request": text_format.MessageToString(request, as_one_line=True, as_utf8=True),
            "answer": interchange.canonical(response) if error is None else {"error": error},
        }
        for rpc, request, response, error in interchange.reads(store)
    ]


def sql(path: str):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        interchange.cmd_sql(path)
    return json.loads(out.getvalue())


def get_artifacts(path: str):
    from ml_metadata.proto import metadata_store_service_pb2 as svc

    store = interchange.open_store(path, create=False)
    response, error, message = interchange.call(store, "GetArtifacts", svc.GetArtifactsRequest())
    if error is not None:
        return {"code": error, "message": message.decode() if isinstance(message, bytes) else str(message)}
    return {"count": len(response.artifacts)}


COMMANDS = {
    "downgrade": downgrade,
    "upgrade": upgrade,
    "version": schema_version,
    "read": read,
    "sql": sql,
    "get_artifacts": get_artifacts,
}


def batch():
    results = []
    for command, *args in json.load(sys.stdin):
        try:
            results.append(COMMANDS[command](*args))
        except Exception as e:  # noqa: BLE001 - reported to the test, which decides
            results.append({"error": f"{type(e).__name__}: {e}"})
    print(json.dumps(results))


def main(argv):
    if len(argv) == 3 and argv[1] == "fill":
        fill(argv[2])
    elif len(argv) == 3 and argv[1] == "write":
        with contextlib.redirect_stdout(io.StringIO()):
            interchange.cmd_write(argv[2])
    elif len(argv) == 2 and argv[1] == "batch":
        batch()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
