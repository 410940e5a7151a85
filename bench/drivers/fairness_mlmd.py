"""The real MLMD writing to a shared SQLite file, for bench/fairness.ts.

Usage: python fairness_mlmd.py FILE SECONDS

Opens FILE in process with ml-metadata's SQLite connection (as TFX does), then puts one
artifact per call for SECONDS seconds. Prints one JSON line: the calls that succeeded, the
ABORTED answers the client saw (each after MLMD's own in-library retries, "Concurrent writes
aborted after max number of retries"), and the calls that failed for good after the Python
client's five retries.
"""

import json
import sys
import time

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from ml_metadata import errors


def main() -> None:
    path, seconds = sys.argv[1], float(sys.argv[2])
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = (
        metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE)
    store = metadata_store.MetadataStore(config)
    type_id = store.put_artifact_type(metadata_store_pb2.ArtifactType(name='FairnessProbe'))

    aborted = {'count': 0, 'max_retries': 0}
    call_method = store._call_method

    def counting(method_name, request, response):
        try:
            return call_method(method_name, request, response)
        except errors.AbortedError as error:
            aborted['count'] += 1
            if 'max number of retries' in str(error):
                aborted['max_retries'] += 1
            raise

    store._call_method = counting
    ok = 0
    failed = 0
    latencies = []
    started = time.monotonic()
    i = 0
    while time.monotonic() - started < seconds:
        artifact = metadata_store_pb2.Artifact(type_id=type_id, uri=f'probe://{time.time_ns()}/{i}')
        i += 1
        t0 = time.monotonic()
        try:
            store.put_artifacts([artifact])
            ok += 1
            latencies.append(time.monotonic() - t0)
        except errors.AbortedError:
            failed += 1
    elapsed = time.monotonic() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else None
    print(json.dumps({
        'ok': ok,
        'seconds': elapsed,
        'ops_per_s': ok / elapsed,
        'aborted_answers': aborted['count'],
        'max_retries_answers': aborted['max_retries'],
        'failed_calls': failed,
        'p99_ms': None if p99 is None else p99 * 1000,
    }))


if __name__ == '__main__':
    main()
