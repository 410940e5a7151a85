"""The official client's get_lineage_subgraph against one `mlmd-ts serve`, for lineage-ids-only.test.ts.

  lineage_ids_only.py PORT fill   writes a small lineage (types with properties, a chain
                                  a0 -> e0 -> a1 -> e1 -> a2 in a context, and a lone artifact)
  lineage_ids_only.py PORT read   prints, as one JSON line: what the client's public
                                  get_lineage_subgraph returns for several queries (whole
                                  messages), the RPCs each made, and the first answer itself as
                                  the server sent it for three read masks: the client's own, an
                                  empty one (mlmd-ts's client and explorer) and a partial one.

Run `read` against two servers on the same file (ids and stamps equal) and compare.
"""

import json
import os
import sys

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")

from google.protobuf import json_format  # noqa: E402
from ml_metadata.metadata_store import metadata_store  # noqa: E402
from ml_metadata.proto import metadata_store_pb2 as mlmd  # noqa: E402
from ml_metadata.proto import metadata_store_service_pb2 as svc  # noqa: E402

# What the client sends when its caller gives no field mask.
CLIENT_MASK = [f.name for f in mlmd.LineageGraph.DESCRIPTOR.fields if not f.name.endswith("_types")]


def connect(port):
    config = mlmd.MetadataStoreClientConfig(host="127.0.0.1", port=port)
    return metadata_store.MetadataStore(config)


def fill(store):
    string = mlmd.STRING
    artifact_type = store.put_artifact_type(
        mlmd.ArtifactType(name="Dataset", properties={"span": mlmd.INT, "split": string}))
    execution_type = store.put_execution_type(mlmd.ExecutionType(name="Trainer", properties={"steps": mlmd.INT}))
    context_type = store.put_context_type(mlmd.ContextType(name="Run", properties={"note": string}))
    [a0] = store.put_artifacts([mlmd.Artifact(
        type_id=artifact_type, uri="mem://a0", name="a0", state=mlmd.Artifact.LIVE,
        properties={"span": mlmd.Value(int_value=0), "split": mlmd.Value(string_value="train")},
        custom_properties={"owner": mlmd.Value(string_value="lineage test")})])
    context = mlmd.Context(type_id=context_type, name="run-1", properties={"note": mlmd.Value(string_value="n")})
    for step in range(2):
        [previous] = store.get_artifacts_by_uri(f"mem://a{step}")
        store.put_execution(
            mlmd.Execution(type_id=execution_type, name=f"e{step}", last_known_state=mlmd.Execution.COMPLETE,
                           properties={"steps": mlmd.Value(int_value=100 * (step + 1))}),
            [
                (previous, mlmd.Event(type=mlmd.Event.INPUT)),
                (mlmd.Artifact(type_id=artifact_type, uri=f"mem://a{step + 1}", name=f"a{step + 1}",
                               properties={"span": mlmd.Value(int_value=step + 1)}),
                 mlmd.Event(type=mlmd.Event.OUTPUT)),
            ],
            [context],
            reuse_context_if_already_exist=True,
        )
    store.put_artifacts([mlmd.Artifact(type_id=artifact_type, uri="mem://lone", name="lone")])
    return a0


def query(start_uri, **options):
    q = mlmd.LineageSubgraphQueryOptions(**options)
    q.starting_artifacts.filter_query = f"uri = '{start_uri}'"
    return q


CASES = [
    ("whole", query("mem://a0", max_num_hops=10), None),
    ("one hop", query("mem://a0", max_num_hops=1), None),
    ("no hops", query("mem://a1", max_num_hops=0), None),
    ("lone artifact", query("mem://lone", max_num_hops=4), None),
    ("upstream", query("mem://a2", max_num_hops=4, direction=mlmd.LineageSubgraphQueryOptions.UPSTREAM), None),
    ("masked", query("mem://a0", max_num_hops=4), ["artifacts", "events", "execution_types"]),
]


def as_json(message):
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def read(store):
    rpcs = []
    send = store._call

    def counted(method_name, request, response):
        rpcs.append(method_name)
        return send(method_name, request, response)

    store._call = counted
    public = {}
    for label, options, mask in CASES:
        rpcs.clear()
        graph = store.get_lineage_subgraph(options, mask)
        public[label] = {"graph": as_json(graph), "rpcs": list(rpcs)}
    store._call = send

    first = {}
    for label, mask in (("client mask", CLIENT_MASK), ("empty mask", []), ("partial mask", ["artifacts", "events"])):
        request = svc.GetLineageSubgraphRequest(lineage_subgraph_query_options=query("mem://a0", max_num_hops=10))
        request.read_mask.paths.extend(mask)
        response = svc.GetLineageSubgraphResponse()
        send("GetLineageSubgraph", request, response)
        graph = response.lineage_subgraph
        first[label] = {
            "bytes": response.ByteSize(),
            # The fields set on each returned node, by kind.
            "node_fields": {
                kind: sorted({field.name for node in getattr(graph, kind) for field, _ in node.ListFields()})
                for kind in ("artifacts", "executions", "contexts")
            },
            "ids": {kind: sorted(node.id for node in getattr(graph, kind))
                    for kind in ("artifacts", "executions", "contexts")},
            "events": len(graph.events),
        }
    return {"client_mask": CLIENT_MASK, "public": public, "first": first}


def main():
    port, mode = int(sys.argv[1]), sys.argv[2]
    store = connect(port)
    if mode == "fill":
        print(json.dumps({"a0": fill(store)}))
    else:
        print(json.dumps(read(store), sort_keys=True))


if __name__ == "__main__":
    main()
