"""MLMD 1.16's C++ store behind a Python gRPC server, for bench/server.ts.

  mlmd_grpc_server.py DB_FILE

Serves every RPC of ml_metadata.MetadataStoreService on a free loopback port by handing the
request bytes to the C++ store (the pybind module the Python client uses in process) and
answering its bytes, and prints `port N` once it listens. The store holds one SQLite connection,
so calls run one at a time. Stops at end of stdin.
"""

import os
import sys
from concurrent import futures

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

import grpc  # noqa: E402
from ml_metadata.metadata_store.pywrap.metadata_store_extension import (  # noqa: E402
    metadata_store as cc,
)
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2  # noqa: E402

CODES = {status.value[0]: status for status in grpc.StatusCode}
SERVICE = metadata_store_service_pb2.DESCRIPTOR.services_by_name["MetadataStoreService"]


def open_store(db):
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = db
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return cc.CreateMetadataStore(config.SerializeToString(), metadata_store_pb2.MigrationOptions().SerializeToString())


def handler(store, method):
    call = getattr(cc, method, None)
    if call is None:  # RPCs the pybind module lacks (Get*ContextsByContexts) answer UNIMPLEMENTED
        return None

    def answer(request, context):
        response, message, code = call(store, request)
        if code != 0:
            context.abort(CODES.get(code, grpc.StatusCode.UNKNOWN), message.decode("utf-8"))
        return response

    # No (de)serializers: the handler sees and returns the raw message bytes.
    return grpc.unary_unary_rpc_method_handler(answer)


def main():
    store = open_store(sys.argv[1])
    handlers = {m.name: handler(store, m.name) for m in SERVICE.methods}
    handlers = {name: h for name, h in handlers.items() if h is not None}
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE.full_name, handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"port {port}\n")
    sys.stdout.flush()
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
