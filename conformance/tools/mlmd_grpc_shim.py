"""A gRPC front for the real ML Metadata store, so the TS conformance suite can run against MLMD.

MLMD's own gRPC server only ships as a Docker image. The `ml-metadata` wheel (1.16.0 in the
project's .venv) carries MLMD's C++ MetadataStore as a Python extension whose functions take and
return serialized protos, one per RPC. This script serves `ml_metadata.MetadataStoreService` by
passing each request's bytes to that extension unchanged and answering its bytes, or its status
code and message. It adds no behaviour of its own; what it answers is MLMD 1.16's C++ store over
SQLite, which is what MLMD's server runs.

    .venv/bin/python conformance/tools/mlmd_grpc_shim.py [--port 0] [--db PATH]
    # prints: mlmd shim serving on 127.0.0.1:<port> …
    MLMD_TARGET=127.0.0.1:<port> npx vitest run conformance -t MLMD_TARGET

Gaps (the extension has no function for them): GetParentContextsByContexts and
GetChildrenContextsByContexts answer UNIMPLEMENTED here (MLMD's server implements them), and
GetLineageGraph answers what MLMD >= 1.15 answers, UNIMPLEMENTED "GetLineageGraph is not
implemented.".
"""
import argparse
import os
import signal
import tempfile
from concurrent import futures

import grpc
from ml_metadata.metadata_store.pywrap.metadata_store_extension import metadata_store as extension
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2

SERVICE = 'ml_metadata.MetadataStoreService'
CODES = {code.value[0]: code for code in grpc.StatusCode}


def handler(store, name):
  function = getattr(extension, name, None)

  def handle(request, context):
    if function is None:
      if name == 'GetLineageGraph':
        # What MLMD's MetadataStore::GetLineageGraph answers since 1.15.
        context.abort(grpc.StatusCode.UNIMPLEMENTED, 'GetLineageGraph is not implemented.')
      context.abort(grpc.StatusCode.UNIMPLEMENTED, f'{name} is not exposed by the ml-metadata Python extension')
    response, message, code = function(store, request)
    if code != 0:
      context.abort(CODES.get(code, grpc.StatusCode.UNKNOWN), message.decode('utf-8', 'replace'))
    return response

  # Bytes in, bytes out: no (de)serializers.
  return grpc.unary_unary_rpc_method_handler(handle)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--port', type=int, default=0)
  parser.add_argument('--db', default=None, help='SQLite file (default: a fresh temp file)')
  args = parser.parse_args()
  db = args.db or os.path.join(tempfile.mkdtemp(prefix='mlmd-shim-'), 'mlmd.sqlite')
  config = metadata_store_pb2.ConnectionConfig()
  config.sqlite.filename_uri = db
  config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
  store = extension.CreateMetadataStore(
      config.SerializeToString(), metadata_store_pb2.MigrationOptions().SerializeToString())
  methods = metadata_store_service_pb2.DESCRIPTOR.services_by_name['MetadataStoreService'].methods
  handlers = {m.name: handler(store, m.name) for m in methods}
  # One worker: every RPC is one transaction on one connection, as in MLMD's server per call.
  server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
  server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
  port = server.add_insecure_port(f'127.0.0.1:{args.port}')
  server.start()
  print(f'mlmd shim serving on 127.0.0.1:{port} (ml-metadata C++ store over {db})', flush=True)
  signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
  server.wait_for_termination()


if __name__ == '__main__':
  main()
