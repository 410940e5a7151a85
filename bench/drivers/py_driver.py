"""The Python driver: runs work items through the official ml-metadata Python client.

One driver serves two targets with the same client code, so both pay the same Python and
serialization overhead:

  mlmd  the real MLMD 1.16, in-process on a SQLite file (ConnectionConfig), or on a PostgreSQL
        or MySQL database when the open spec names a server (ConnectionConfig.postgresql / .mysql);
  grpc  an mlmd-ts server, over gRPC on loopback (MetadataStoreClientConfig).

Every operation is the client's own RPC dispatch, ``MetadataStore._call(rpc, request,
response)``, which is what each public method ends in (with the client's retry of ABORTED).
Lineage uses the public ``get_lineage_subgraph`` (the RPC, then the client's hydration of the
id-only nodes MLMD answers), because that is what a user of the client gets.

Protocol (bench/lib/protocol.ts): one JSON command per stdin line, one JSON answer per line.
Requests are parsed into protobuf messages before timing starts.
"""

import itertools
import json
import os
import sys
import time

# Quiet absl's start-up warnings; errors still reach stderr.
os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from google.protobuf import json_format  # noqa: E402
from ml_metadata import errors  # noqa: E402
from ml_metadata.metadata_store import metadata_store  # noqa: E402
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2  # noqa: E402

CODE_NAMES = {
    getattr(errors, name): name
    for name in dir(errors)
    if name.isupper() and isinstance(getattr(errors, name), int)
}

handles = {}
counters = {"aborted": 0}


def send(reply):
    sys.stdout.write(json.dumps(reply) + "\n")
    sys.stdout.flush()


def memory():
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                fields[key] = int(rest.split()[0])
    return {"hwm_kb": fields.get("VmHWM", 0), "rss_kb": fields.get("VmRSS", 0)}


def server_config(server):
    """MLMD's own configuration of an existing database on a server engine."""
    config = metadata_store_pb2.ConnectionConfig()
    if server["engine"] == "postgresql":
        source = config.postgresql
        source.host = server["host"]
        source.port = str(server["port"])
        source.dbname = server["database"]
    else:
        source = config.mysql
        source.host = server["host"]
        source.port = int(server["port"])
        source.database = server["database"]
    source.user = server["user"]
    source.password = server["password"]
    source.skip_db_creation = True
    return config


def open_store(spec):
    if spec["kind"] == "mlmd" and spec.get("server") is not None:
        config = server_config(spec["server"])
    elif spec["kind"] == "mlmd":
        config = metadata_store_pb2.ConnectionConfig()
        config.sqlite.filename_uri = spec["db"]
        config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    elif spec["kind"] == "grpc":
        config = metadata_store_pb2.MetadataStoreClientConfig()
        config.host = "127.0.0.1"
        config.port = spec["port"]
    else:
        raise ValueError("the Python driver cannot open %s" % spec["kind"])
    store = metadata_store.MetadataStore(config)
    call_method = store._call_method

    def counted(method_name, request, response):
        # Counts the ABORTED answers that the client's _call is about to retry.
        try:
            return call_method(method_name, request, response)
        except errors.AbortedError:
            counters["aborted"] += 1
            raise

    store._call_method = counted
    return store


def run(cmd):
    store = handles[cmd["handle"]]
    op = cmd["op"]
    request_class = getattr(metadata_store_service_pb2, op + "Request")
    response_class = getattr(metadata_store_service_pb2, op + "Response")
    requests = [json_format.ParseDict(item["req"], request_class()) for item in cmd["items"]]
    public = cmd.get("pyPublic", False)
    deadline = time.time() + cmd["deadlineMs"] / 1000 if cmd.get("deadlineMs") is not None else None
    lat = []
    codes = {}
    counters["aborted"] = 0
    start = time.time()
    perf = time.perf_counter_ns
    # With "cycle", the items are sent again and again until the deadline: a timed loop that
    # does not have to parse more requests than it can send.
    cycle = bool(cmd.get("cycle")) and deadline is not None and len(requests) > 0
    sequence = itertools.cycle(requests) if cycle else requests
    for request in sequence:
        if deadline is not None and time.time() >= deadline:
            break
        t0 = perf()
        try:
            if public:
                store.get_lineage_subgraph(request.lineage_subgraph_query_options)
            else:
                store._call(op, request, response_class())
            code = None
        except errors.StatusError as error:
            code = CODE_NAMES.get(error.error_code, str(error.error_code))
        t1 = perf()
        lat.append((t1 - t0) / 1000)
        if code is not None:
            codes[code] = codes.get(code, 0) + 1
    end = time.time()
    return {
        "lat_us": lat,
        "codes": codes,
        "aborted": counters["aborted"],
        "start_ms": start * 1000,
        "end_ms": end * 1000,
    }


def execute(cmd):
    kind = cmd["cmd"]
    if kind == "open":
        handles[cmd["handle"]] = open_store(cmd["spec"])
        return None
    if kind == "run":
        return run(cmd)
    if kind == "close":
        handles.pop(cmd["handle"], None)
        return None
    if kind == "mem":
        return memory()
    if kind == "exit":
        sys.exit(0)
    raise ValueError("unknown command %s" % kind)


def main():
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        if not line.strip():
            continue
        cmd = json.loads(line)
        try:
            send({"seq": cmd["seq"], "ok": True, "result": execute(cmd)})
        except SystemExit:
            raise
        except Exception as error:  # reported to the orchestrator, which stops the run
            send({"seq": cmd["seq"], "ok": False, "error": "%s: %s" % (type(error).__name__, error)})


if __name__ == "__main__":
    main()
