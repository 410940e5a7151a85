"""The real ML Metadata (ml-metadata 1.16, in process, no server) writing the reliability
workload into a SQLite file that mlmd-ts also serves.

    python mlmd_writer.py DB PREFIX COUNT OUTPUTS

Each write is one put_execution of an execution named PREFIX-i (custom property `outputs`),
an input artifact, OUTPUTS output artifacts, their events and a new context, exactly as
support.ts's putExecutionRequest. Prints `ack <name>` per committed write, `aborted` for each
ABORTED the client retried, `fail <name> <error>` otherwise, then one JSON summary line.
"""

import json
import sys

from ml_metadata import errors
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd


def main() -> None:
    db, prefix, count, outputs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = db
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    store = metadata_store.MetadataStore(config)

    aborted = 0
    call_method = store._call_method  # noqa: SLF001 - counts the ABORTED answers MLMD retries

    def counting(method_name, request, response):
        nonlocal aborted
        try:
            return call_method(method_name, request, response)
        except errors.AbortedError:
            aborted += 1
            print("aborted", flush=True)
            raise

    store._call_method = counting  # noqa: SLF001

    execution_type = store.put_execution_type(mlmd.ExecutionType(name="RelStep"))
    artifact_type = mlmd.ArtifactType(name="RelData")
    artifact_type.properties["step"] = mlmd.INT
    artifact_type = store.put_artifact_type(artifact_type)
    context_type = store.put_context_type(mlmd.ContextType(name="RelRun"))

    acked, failed = 0, 0
    for i in range(count):
        name = f"{prefix}-{i}"
        execution = mlmd.Execution(type_id=execution_type, name=name)
        execution.last_known_state = mlmd.Execution.COMPLETE
        execution.custom_properties["outputs"].int_value = outputs
        pairs = []
        artifact = mlmd.Artifact(type_id=artifact_type, name=f"{name}-in", uri=f"mem://{name}/in")
        pairs.append((artifact, mlmd.Event(type=mlmd.Event.INPUT)))
        for k in range(outputs):
            artifact = mlmd.Artifact(type_id=artifact_type, name=f"{name}-out-{k}", uri=f"mem://{name}/out/{k}")
            artifact.properties["step"].int_value = k
            event = mlmd.Event(type=mlmd.Event.OUTPUT)
            event.path.steps.add().key = "out"
            event.path.steps.add().index = k
            pairs.append((artifact, event))
        context = mlmd.Context(type_id=context_type, name=f"{name}-ctx")
        try:
            store.put_execution(execution, pairs, [context])
            acked += 1
            print(f"ack {name}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is a figure of the test
            failed += 1
            print(f"fail {name} {type(error).__name__}: {error}", flush=True)
    print(json.dumps({"acked": acked, "failed": failed, "aborted": aborted}), flush=True)


if __name__ == "__main__":
    main()
