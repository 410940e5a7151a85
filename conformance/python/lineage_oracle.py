#!/usr/bin/env python3
"""Ask the real ML Metadata (in process, SQLite) lineage and paging questions about an existing store.

Usage:
    lineage_oracle.py DB_PATH < queries.json

stdin is a JSON list of queries. Messages are given as proto-JSON dicts (field names as in the
.proto files, int64 values as strings or numbers, enums as numbers or names) and parsed with
json_format.ParseDict, so field presence is what the dict says (an empty "filter_query": "" is
*set*). Every RPC is sent raw through MetadataStore._call, so the answers are the server's own
(no client-side hydration or paging).

    {"op": "lineage", "request": {<GetLineageSubgraphRequest>}}   (read_mask as {"paths": [...]})
        -> {"artifacts": [ids], "executions": [ids], "contexts": [ids],
            "events": [[artifact_id, execution_id, type, path_json]...]  (path_json compact,
                       int64 steps as strings, "{}" for no steps),
            "attributions": [[artifact_id, context_id]...],
            "associations": [[execution_id, context_id]...],
            "artifact_types": [ids], "execution_types": [ids], "context_types": [ids],
            "parent_contexts": n,
            "artifact_fields": [[field names of each returned artifact]...]}
        every list sorted; ids as decimal strings.
    {"op": "lineage_graph", "request": {<GetLineageGraphRequest>}}
        -> the same shape; MLMD 1.16's in-process library no longer has the method, so the
           answer is {"error": "NO_BINDING"} (its gRPC server answers UNIMPLEMENTED).
    {"op": "walk", "method": "GetArtifacts", "request": {<request without options>},
     "options": {<ListOperationOptions>}, "max_pages": 1000}
        -> {"pages": [[ids in order]...], "tokens": [token after each page, "" on the last]}
        Walks next_page_token until a page comes back without one (or max_pages pages, then
        "truncated": true). An error on page k: {"pages": [...k pages...], "error": CODE, ...}.
    {"op": "page", "method": ..., "request": {...}, "options": {... may carry next_page_token}}
        -> {"ids": [ids in order], "token": "..."}   (token "" when absent)

Any failure is {"error": "INVALID_ARGUMENT", "message": "..."} (gRPC code names).
Prints one JSON list on stdout, one answer per query, in order.
"""

import json
import logging
import os
import sys

# Quiet the C++ library's INFO lines (e.g. "max_num_hops is not set") on stderr.
os.environ.setdefault("GLOG_minloglevel", "1")

from google.protobuf import json_format
from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from ml_metadata.proto import metadata_store_service_pb2 as service_pb2

_CODE_NAMES = {
    errors.CANCELLED: "CANCELLED",
    errors.UNKNOWN: "UNKNOWN",
    errors.INVALID_ARGUMENT: "INVALID_ARGUMENT",
    errors.DEADLINE_EXCEEDED: "DEADLINE_EXCEEDED",
    errors.NOT_FOUND: "NOT_FOUND",
    errors.ALREADY_EXISTS: "ALREADY_EXISTS",
    errors.PERMISSION_DENIED: "PERMISSION_DENIED",
    errors.RESOURCE_EXHAUSTED: "RESOURCE_EXHAUSTED",
    errors.FAILED_PRECONDITION: "FAILED_PRECONDITION",
    errors.ABORTED: "ABORTED",
    errors.OUT_OF_RANGE: "OUT_OF_RANGE",
    errors.UNIMPLEMENTED: "UNIMPLEMENTED",
    errors.INTERNAL: "INTERNAL",
    errors.UNAVAILABLE: "UNAVAILABLE",
    errors.DATA_LOSS: "DATA_LOSS",
    errors.UNAUTHENTICATED: "UNAUTHENTICATED",
}

# Which repeated field of each listing response holds the nodes.
_NODES_FIELD = {
    "GetArtifacts": "artifacts",
    "GetExecutions": "executions",
    "GetContexts": "contexts",
    "GetArtifactsByType": "artifacts",
    "GetExecutionsByType": "executions",
    "GetContextsByType": "contexts",
    "GetArtifactsByContext": "artifacts",
    "GetExecutionsByContext": "executions",
}


def _ids(nodes):
    return [str(node.id) for node in nodes]


def _graph(graph):
    """A LineageGraph as comparable, sorted lists."""
    return {
        "artifacts": sorted(_ids(graph.artifacts), key=int),
        "executions": sorted(_ids(graph.executions), key=int),
        "contexts": sorted(_ids(graph.contexts), key=int),
        "events": sorted(
            [
                str(e.artifact_id),
                str(e.execution_id),
                e.type,
                json.dumps(
                    json_format.MessageToDict(e.path, preserving_proto_field_name=True),
                    sort_keys=True,
                    separators=(",", ":"),
                ),
            ]
            for e in graph.events
        ),
        "attributions": sorted([str(a.artifact_id), str(a.context_id)] for a in graph.attributions),
        "associations": sorted([str(a.execution_id), str(a.context_id)] for a in graph.associations),
        "artifact_types": sorted(_ids(graph.artifact_types), key=int),
        "execution_types": sorted(_ids(graph.execution_types), key=int),
        "context_types": sorted(_ids(graph.context_types), key=int),
        "parent_contexts": len(graph.parent_contexts),
        "artifact_fields": sorted(sorted(f.name for f, _ in a.ListFields()) for a in graph.artifacts),
    }


def _error(error):
    return {"error": _CODE_NAMES.get(error.error_code, str(error.error_code)), "message": str(error)}


def _list_request(query, token=None):
    method = query["method"]
    request = getattr(service_pb2, method + "Request")()
    json_format.ParseDict(query.get("request", {}), request)
    if "options" in query:
        # Present, even when empty: MLMD pages (20 by id) as soon as `options` is set.
        request.options.SetInParent()
        json_format.ParseDict(query["options"], request.options)
    if token is not None:
        request.options.next_page_token = token
    return method, request


def _page(store, method, request):
    response = getattr(service_pb2, method + "Response")()
    store._call(method, request, response)  # pylint: disable=protected-access
    return _ids(getattr(response, _NODES_FIELD[method])), response.next_page_token


def answer(store, query):
    op = query["op"]
    if op in ("lineage", "lineage_graph"):
        rpc = "GetLineageSubgraph" if op == "lineage" else "GetLineageGraph"
        request = getattr(service_pb2, rpc + "Request")()
        fields = dict(query["request"])
        # FieldMask's proto-JSON form is a string; take {"paths": [...]} as written instead.
        read_mask = fields.pop("read_mask", None)
        json_format.ParseDict(fields, request)
        if read_mask is not None:
            request.read_mask.SetInParent()
            request.read_mask.paths.extend(read_mask.get("paths", []))
        response = getattr(service_pb2, rpc + "Response")()
        try:
            store._call(rpc, request, response)  # pylint: disable=protected-access
        except errors.StatusError as error:
            return _error(error)
        except AttributeError as error:
            # MLMD 1.16 removed GetLineageGraph: its in-process library has no such method.
            return {"error": "NO_BINDING", "message": str(error)}
        return _graph(response.lineage_subgraph if op == "lineage" else response.subgraph)
    if op == "page":
        method, request = _list_request(query)
        try:
            ids, token = _page(store, method, request)
        except errors.StatusError as error:
            return _error(error)
        return {"ids": ids, "token": token}
    if op == "walk":
        max_pages = int(query.get("max_pages", 1000))
        pages, tokens = [], []
        token = None
        while True:
            method, request = _list_request(query, token)
            try:
                ids, token = _page(store, method, request)
            except errors.StatusError as error:
                return dict(_error(error), pages=pages, tokens=tokens)
            pages.append(ids)
            tokens.append(token)
            if not token:
                return {"pages": pages, "tokens": tokens}
            if len(pages) >= max_pages:
                return {"pages": pages, "tokens": tokens, "truncated": True}
    raise ValueError("unknown op: %r" % (op,))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    # The client logs every failed call; the caller gets the error in the JSON instead.
    logging.disable(logging.WARNING)
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = sys.argv[1]
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    store = metadata_store.MetadataStore(config)
    results = [answer(store, query) for query in json.load(sys.stdin)]
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
