"""A TFX-style Python client and the mlmd-ts pipeline runner share step caches.

Run by conformance/python/runner-records.test.ts, which writes a manifest (path in the
environment variable MLMD_TS_RUNNER_MANIFEST) describing:

* ``read``: an MLMD SQLite file our runner wrote (the seed example's Pipelines A and B). The
  tests open it with the real ml-metadata client in-process and perform TFX's cache lookup as
  ``pipeline-conventions.md`` section 2.4 states it (``cache_utils.get_cached_outputs``), and
  check the records' shape against section 1 (contexts, parent link, executions, events,
  artifacts, ``tfx_version``).
* ``write``: a fresh SQLite file in which this test writes, the way TFX's portable launcher
  does, a COMPLETE execution of a step whose cache key the runner computed; the TypeScript side
  then checks that the runner reuses it.

The ``tfx`` package itself is not installable next to ml-metadata 1.16 on Python 3.11, so the
lookup below is the conventions document's statement of TFX's, written with the same MLMD
calls TFX makes.
"""

import collections
import hashlib
import json
import os
import re
import uuid

import pytest
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb
from packaging import version as pep440

MANIFEST_PATH = os.environ.get("MLMD_TS_RUNNER_MANIFEST")
pytestmark = pytest.mark.skipif(MANIFEST_PATH is None, reason="run by runner-records.test.ts")

PROPERTY_NAMES = {v: k for k, v in pb.PropertyType.items()}
ARTIFACT_BASE_NAMES = {v: k for k, v in pb.ArtifactType.SystemDefinedBaseType.items()}


@pytest.fixture(scope="module")
def manifest():
    with open(MANIFEST_PATH, encoding="utf-8") as f:
        return json.load(f)


def open_store(path):
    config = pb.ConnectionConfig()
    config.sqlite.filename_uri = path
    config.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(config)


# --- TFX's cache lookup (cache_utils.get_cached_outputs + verify_artifacts), conventions 2.4 ---


def verify_artifacts(artifacts):
    """TFX rejects a candidate whose outputs have an empty uri or one that does not exist."""
    return all(a.uri and os.path.exists(a.uri) for a in artifacts)


def get_cached_outputs(store, cache_context):
    executions = store.get_executions_by_context(cache_context.id)
    candidates = [
        e
        for e in executions
        if e.last_known_state in (pb.Execution.COMPLETE, pb.Execution.CACHED)
    ]
    candidates.sort(key=lambda e: e.create_time_since_epoch, reverse=True)
    for execution in candidates:
        events = [
            e
            for e in store.get_events_by_execution_ids([execution.id])
            if e.type == pb.Event.OUTPUT
        ]
        artifacts = store.get_artifacts_by_id([e.artifact_id for e in events])
        if any(a.state != pb.Artifact.LIVE for a in artifacts):
            continue
        types = store.get_artifact_types_by_id([a.type_id for a in artifacts])
        outputs = collections.defaultdict(list)
        for event, artifact, artifact_type in zip(events, artifacts, types):
            outputs[event.path.steps[0].key].append((artifact, artifact_type))
        if not verify_artifacts(a for pairs in outputs.values() for a, _ in pairs):
            continue
        return execution, dict(outputs)
    return None


# --- Reading what the runner wrote ---


def test_tfx_lookup_finds_the_runners_cached_outputs(manifest):
    read = manifest["read"]
    store = open_store(read["db"])
    checked = 0
    for pipeline in read["pipelines"]:
        for node in pipeline["nodes"]:
            cache_context = store.get_context_by_type_and_name("execution_cache", node["cache_key"])
            assert cache_context is not None, node
            hit = get_cached_outputs(store, cache_context)
            assert hit is not None, f"no cached outputs for {pipeline['name']}.{node['id']}"
            _, outputs = hit
            assert {k: [a.id for a, _ in v] for k, v in outputs.items()} == node["outputs"]
            for pairs in outputs.values():
                for artifact, artifact_type in pairs:
                    assert artifact_type.id == artifact.type_id
                    assert artifact_type.name == artifact.type
                    # Python's artifact readers pick payload layouts by tfx_version (>= 0.29 means
                    # Split-<name> directories); an unparseable string would raise.
                    tfx_version = pep440.parse(artifact.custom_properties["tfx_version"].string_value)
                    assert tfx_version >= pep440.parse("0.29")
            checked += 1
    assert checked == sum(len(p["nodes"]) for p in read["pipelines"])


def test_records_have_tfxs_shape(manifest):
    read = manifest["read"]
    store = open_store(read["db"])
    for context_type in ("pipeline", "pipeline_run", "node", "execution_cache"):
        assert dict(store.get_context_type(context_type).properties) == {}
    for pipeline in read["pipelines"]:
        pipeline_context = store.get_context_by_type_and_name("pipeline", pipeline["name"])
        run_context = store.get_context_by_type_and_name("pipeline_run", pipeline["run_id"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", run_context.name)
        parents = store.get_parent_contexts_by_context(run_context.id)
        assert [c.id for c in parents] == [pipeline_context.id]
        for node in pipeline["nodes"]:
            node_context = store.get_context_by_type_and_name(
                "node", f"{pipeline['name']}.{node['id']}"
            )
            assert node_context is not None
            [execution] = store.get_executions_by_id([node["execution_id"]])
            expected_state = {"ran": pb.Execution.COMPLETE, "cached": pb.Execution.CACHED}
            assert execution.last_known_state == expected_state[node["status"]]
            assert str(uuid.UUID(execution.name)) == execution.name
            # The execution is in exactly the run's pipeline, run, node and cache contexts.
            contexts = store.get_contexts_by_execution(execution.id)
            assert sorted((c.type, c.name) for c in contexts) == sorted(
                [
                    ("pipeline", pipeline["name"]),
                    ("pipeline_run", pipeline["run_id"]),
                    ("node", f"{pipeline['name']}.{node['id']}"),
                    ("execution_cache", node["cache_key"]),
                ]
            )
            events = store.get_events_by_execution_ids([execution.id])
            for event in events:
                steps = event.path.steps
                assert len(steps) % 2 == 0 and len(steps) > 0
                assert all(s.HasField("key") for s in steps[0::2])
                assert all(s.HasField("index") for s in steps[1::2])
            placed = collections.defaultdict(list)
            for e in events:
                if e.type == pb.Event.OUTPUT:
                    placed[e.path.steps[0].key].append((e.path.steps[1].index, e.artifact_id))
            # TFX's event_lib reads the artifacts of a key at indices exactly 0..n-1.
            for pairs in placed.values():
                assert sorted(i for i, _ in pairs) == list(range(len(pairs)))
            outputs = {k: [a for _, a in sorted(v)] for k, v in placed.items()}
            assert outputs == node["outputs"]
            for artifact in store.get_artifacts_by_id([a for v in outputs.values() for a in v]):
                assert artifact.state == pb.Artifact.LIVE
                assert not artifact.HasField("name")


def test_cache_key_of_a_source_step_follows_its_definition(manifest):
    """The documented key (src/runner/cache-key.ts) recomputed from the store alone."""
    read = manifest["read"]
    store = open_store(read["db"])
    pipeline = read["pipelines"][0]
    node = next(n for n in pipeline["nodes"] if n["id"] == read["source_node"])
    [execution] = store.get_executions_by_id([node["execution_id"]])
    execution_type = store.get_execution_types_by_id([execution.type_id])[0]
    reserved = ("__", "tsrunner_")
    parameters = {
        k: getattr(v, v.WhichOneof("value"))
        for k, v in execution.custom_properties.items()
        if not k.startswith(reserved)
    }
    outputs = {}
    for event in store.get_events_by_execution_ids([execution.id]):
        [artifact] = store.get_artifacts_by_id([event.artifact_id])
        [artifact_type] = store.get_artifact_types_by_id([artifact.type_id])
        skeleton = {
            "type": artifact_type.name,
            "properties": {k: PROPERTY_NAMES[v] for k, v in artifact_type.properties.items()},
            "uri": "",
            "name": "",
        }
        if artifact_type.base_type:
            skeleton["base_type"] = ARTIFACT_BASE_NAMES[artifact_type.base_type]
        outputs[event.path.steps[0].key] = [skeleton]
    node_type = {"name": execution_type.name}
    document = {
        "key_version": execution.custom_properties["tsrunner_cache_key_version"].string_value,
        "pipeline_info": {"id": pipeline["cache_scope"]},
        "node_info": {"id": node["id"], "type": node_type},
        "executor_spec": {
            "kind": "tsrunner.in_process",
            "code_fingerprint": execution.custom_properties["tsrunner_code_fingerprint"].string_value,
        },
        "inputs": {},
        "outputs": outputs,
        "parameters": parameters,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == node["cache_key"]


# --- Writing a step run the way TFX's launcher does, for the runner to reuse ---


def register_type(store, kind, wanted):
    """TFX's register_type_if_not_exist: reuse an equal stored type, else put with evolution."""
    get, put = {
        "artifact": (store.get_artifact_type, store.put_artifact_type),
        "execution": (store.get_execution_type, store.put_execution_type),
        "context": (store.get_context_type, store.put_context_type),
    }[kind]
    try:
        existing = get(wanted.name)
        copy = type(existing)()
        copy.CopyFrom(existing)
        copy.ClearField("id")
        if copy == wanted:
            return existing.id
    except Exception:  # noqa: BLE001 - NotFoundError, as TFX catches it
        pass
    return put(wanted, can_add_fields=True, can_omit_fields=True)


def test_write_tfx_records_for_a_known_key(manifest):
    write = manifest["write"]
    store = open_store(write["db"])
    context_type_ids = {
        name: register_type(store, "context", pb.ContextType(name=name))
        for name in ("pipeline", "pipeline_run", "node", "execution_cache")
    }
    execution_type_id = register_type(store, "execution", pb.ExecutionType(name=write["step_type"]))
    spec = write["artifact_type"]
    artifact_type = pb.ArtifactType(name=spec["name"])
    for key, kind in spec["properties"].items():
        artifact_type.properties[key] = pb.PropertyType.Value(kind)
    if spec.get("base_type"):
        artifact_type.base_type = pb.ArtifactType.SystemDefinedBaseType.Value(spec["base_type"])
    artifact_type_id = register_type(store, "artifact", artifact_type)

    def context(type_name, name):
        return pb.Context(type_id=context_type_ids[type_name], name=name)

    pipeline_name = write["pipeline"]
    run_id = "2024-05-01T12:34:56.123456"
    contexts = [
        context("pipeline", pipeline_name),
        context("pipeline_run", run_id),
        context("node", f"{pipeline_name}.{write['node']}"),
    ]
    # Registration: RUNNING, named by a UUID, with the pipeline, run and node contexts.
    execution = pb.Execution(
        type_id=execution_type_id,
        name=str(uuid.uuid4()),
        last_known_state=pb.Execution.RUNNING,
    )
    for key, value in write["parameters"].items():
        field = {int: "int_value", float: "double_value", str: "string_value"}[type(value)]
        setattr(execution.custom_properties[key], field, value)
    execution_id, _, context_ids = store.put_execution(
        execution, [], contexts, reuse_context_if_already_exist=True
    )
    for c, c_id in zip(contexts, context_ids):
        c.id = c_id
    store.put_parent_contexts([pb.ParentContext(child_id=context_ids[1], parent_id=context_ids[0])])

    # The executor writes its payload at <root>/<node>/<key>/<execution id>.
    uri = os.path.join(write["root"], write["node"], write["output_key"], str(execution_id))
    for relative, text in write["files"].items():
        target = os.path.join(uri, relative)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)

    # Publication: COMPLETE, a LIVE output with tfx_version, an OUTPUT event [key, 0], and the
    # execution_cache context named by the key.
    [execution] = store.get_executions_by_id([execution_id])
    execution.last_known_state = pb.Execution.COMPLETE
    artifact = pb.Artifact(type_id=artifact_type_id, uri=uri, state=pb.Artifact.LIVE)
    for key, value in write["properties"].items():
        field = {int: "int_value", float: "double_value", str: "string_value"}[type(value)]
        setattr(artifact.properties[key], field, value)
    artifact.custom_properties["tfx_version"].string_value = "1.16.0"
    event = pb.Event(type=pb.Event.OUTPUT)
    event.path.steps.add().key = write["output_key"]
    event.path.steps.add().index = 0
    _, [artifact_id], _ = store.put_execution(
        execution,
        [(artifact, event)],
        contexts + [context("execution_cache", write["cache_key"])],
        reuse_context_if_already_exist=True,
    )

    # Our own lookup finds it, so TFX would reuse it.
    cache_context = store.get_context_by_type_and_name("execution_cache", write["cache_key"])
    found = get_cached_outputs(store, cache_context)
    assert found is not None and found[0].id == execution_id

    with open(write["result_path"], "w", encoding="utf-8") as f:
        json.dump({"execution_id": execution_id, "artifact_id": artifact_id, "uri": uri}, f)
