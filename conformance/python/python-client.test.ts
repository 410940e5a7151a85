// The official ML Metadata Python client (ml-metadata 1.16.0, from the venv) against our gRPC
// server: conformance/python/test_python_client.py run by pytest (round trips, the client's
// list helpers and get_lineage_subgraph compared with the real MLMD in process, its ABORTED
// retries, client-side errors), plus the reflection descriptors checked by protobuf's own
// DescriptorPool. Writes conformance/results/python-client.json.
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { mlmdFileDescriptors } from '../../src/service/reflection.js'
import { recording, runPythonAsync, startTempServer, type TempServer, writeResults } from './support.js'
import { describeWithMlmd, PYTHON_DIR } from './venv.js'

describeWithMlmd('official MLMD Python client against mlmd-ts', () => {
  // The server most tests use, and one over a file with a 100 ms busy timeout, whose write lock
  // the retry tests hold from Python so that it answers ABORTED.
  let main: TempServer
  let locked: TempServer
  const called = new Set<string>()
  const lockedFailures = new Map<string, string[]>()
  let cases = ''

  beforeAll(async () => {
    main = await startTempServer({ wrap: (store) => recording(store, called) })
    locked = await startTempServer({
      wrap: (store) => recording(store, called, lockedFailures),
      storeOptions: { busyTimeoutMs: 100 },
    })
  })
  afterAll(async () => {
    await main?.close()
    await locked?.close()
    writeResults('client', called, { pytest: cases })
  })

  it('passes test_python_client.py', { timeout: 300_000 }, async () => {
    const { code, output } = await runPythonAsync(
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', '-rs', path.join(PYTHON_DIR, 'test_python_client.py')],
      {
        env: {
          MLMD_TS_HOST: '127.0.0.1',
          MLMD_TS_PORT: String(main.server.port),
          MLMD_TS_LOCK_PORT: String(locked.server.port),
          MLMD_TS_LOCK_DB: locked.filename,
        },
      },
    )
    // pytest exits 5 when it collected nothing: that is a failure here too.
    expect(code, output).toBe(0)
    expect(output).toMatch(/\d+ passed/)
    cases = output.trim().split('\n').at(-1) ?? ''
    // The retry tests made the locked server answer ABORTED (once or more, then five times).
    const aborted = (lockedFailures.get('PutArtifactType') ?? []).filter((code) => code === '10').length
    expect(aborted, 'ABORTED answers of the locked server').toBeGreaterThanOrEqual(6)
    // The Python client's surface: every RPC it has a method for (it has none for PutTypes,
    // Get{Parent,Children}ContextsByContexts and the deprecated GetLineageGraph).
    const summary = output.trim().split('\n').at(-1)
    console.info(
      `pytest: ${summary}; the Python client called ${called.size} RPCs: ${[...called].sort().join(', ')}`,
    )
    expect(called.size).toBeGreaterThanOrEqual(47)
  })

  it("serves reflection descriptors that protobuf's DescriptorPool accepts and that match ml_metadata's", async () => {
    const script = `
import base64, json, sys
from google.protobuf import descriptor_pb2, descriptor_pool
from ml_metadata.proto import metadata_store_pb2, metadata_store_service_pb2

pool = descriptor_pool.DescriptorPool()
for encoded in json.load(sys.stdin):
    pool.Add(descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(encoded)))

def fields(message):
    out = {}
    for f in message.fields:
        out[f.name] = (f.number, f.label, f.type, f.has_default_value and str(f.default_value),
                       f.message_type and f.message_type.full_name, f.enum_type and f.enum_type.full_name,
                       f.containing_oneof and f.containing_oneof.name,
                       f.GetOptions().packed if f.GetOptions().HasField('packed') else None)
    return out

def walk(theirs, problems):
    ours = pool.FindMessageTypeByName(theirs.full_name)
    if fields(ours) != fields(theirs):
        problems.append(theirs.full_name)
    for nested in theirs.nested_types:
        walk(nested, problems)

problems = []
for module in (metadata_store_pb2, metadata_store_service_pb2):
    for message in module.DESCRIPTOR.message_types_by_name.values():
        walk(message, problems)
service = pool.FindServiceByName('ml_metadata.MetadataStoreService')
theirs = metadata_store_service_pb2.DESCRIPTOR.services_by_name['MetadataStoreService']
methods = lambda s: sorted((m.name, m.input_type.full_name, m.output_type.full_name) for m in s.methods)
if methods(service) != methods(theirs):
    problems.append('MetadataStoreService methods')
print(json.dumps({'problems': problems, 'methods': len(service.methods)}))
`
    const input = JSON.stringify(mlmdFileDescriptors().map((b) => b.toString('base64')))
    const { code, output } = await runPythonAsync(['-c', script], { input })
    expect(code, output).toBe(0)
    expect(JSON.parse(output.trim().split('\n').at(-1) as string)).toEqual({ problems: [], methods: 52 })
  })
})
