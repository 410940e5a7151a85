#!/usr/bin/env python3
"""Run filter_query listings with the real ML Metadata against an existing SQLite store.

Usage:
    run_filters.py DB_PATH < cases.json

stdin is a JSON list of {"kind": "artifact" | "execution" | "context", "query": "..."}.
Each case is listed with get_artifacts / get_executions / get_contexts and
ListOptions(filter_query=query); the client pages through every result.

Prints one JSON list on stdout, one entry per case, in order:
    {"ids": ["1", "5", ...]}                         ids ascending, as decimal strings
    {"error": "INVALID_ARGUMENT", "message": "..."}  the MLMD status (name) and message

The store file must already hold MLMD schema v10 (e.g. written by mlmd-ts); it is not modified
beyond what opening a store does.
"""

import json
import logging
import sys

from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

# Status numbers to the names gRPC uses.
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


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    # The client logs every failed call as a warning; the caller gets the error in the JSON.
    logging.disable(logging.WARNING)
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = sys.argv[1]
    store = metadata_store.MetadataStore(config)
    listers = {
        "artifact": store.get_artifacts,
        "execution": store.get_executions,
        "context": store.get_contexts,
    }
    results = []
    for case in json.load(sys.stdin):
        options = metadata_store.ListOptions(filter_query=case["query"])
        try:
            nodes = listers[case["kind"]](list_options=options)
            results.append({"ids": [str(i) for i in sorted(n.id for n in nodes)]})
        except errors.StatusError as error:
            results.append(
                {
                    "error": _CODE_NAMES.get(error.error_code, str(error.error_code)),
                    "message": str(error),
                }
            )
    json.dump(results, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
