// The official ML Metadata Python client (ml-metadata 1.16.0, from the venv) against our gRPC
// server: conformance/python/test_python_client.py run by pytest, plus the reflection
// descriptors checked by protobuf's own DescriptorPool.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createGrpcServer, type GrpcServer } from '../../src/service/grpc-server.js'
import { mlmdFileDescriptors } from '../../src/service/reflection.js'
import { createMetadataStore, type OwnedMetadataStore } from '../../src/store/metadata-store.js'
import type { MetadataStore } from '../../src/store/metadata-store-api.js'
import { describeWithMlmd, mlmdPython, PYTHON_DIR, REPO_ROOT } from './venv.js'

/** Runs the venv's Python without blocking the event loop (the server runs in this process). */
function python(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<{ code: number; output: string }> {
  const interpreter = mlmdPython()?.python
  if (interpreter === undefined) throw new Error('no ML Metadata venv')
  return new Promise((resolve) => {
    const child = execFile(
      interpreter,
      args,
      {
        cwd: REPO_ROOT,
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...options.env },
        maxBuffer: 64 << 20,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ code, output: `${stdout}${stderr}` })
      },
    )
    if (options.input !== undefined) child.stdin?.end(options.input)
  })
}

/** Wraps a store so the RPCs it serves are recorded. */
function recording(store: MetadataStore, called: Set<string>): MetadataStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown
      if (typeof value !== 'function' || typeof name !== 'string') return value
      return (request: unknown) => {
        called.add(`${name.charAt(0).toUpperCase()}${name.slice(1)}`)
        return (value as (r: unknown) => unknown).call(target, request)
      }
    },
  })
}

describeWithMlmd('official MLMD Python client against mlmd-ts', () => {
  let store: OwnedMetadataStore
  let server: GrpcServer
  const called = new Set<string>()

  beforeAll(async () => {
    store = createMetadataStore({ filename: ':memory:' })
    server = await createGrpcServer({ store: recording(store, called), host: '127.0.0.1', port: 0 })
  })
  afterAll(async () => {
    await server?.shutdown()
    store?.close()
  })

  it('passes test_python_client.py', async () => {
    const { code, output } = await python(
      ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', path.join(PYTHON_DIR, 'test_python_client.py')],
      { env: { MLMD_TS_HOST: '127.0.0.1', MLMD_TS_PORT: String(server.port) } },
    )
    // pytest exits 5 when it collected nothing: that is a failure here too.
    expect(code, output).toBe(0)
    expect(output).toMatch(/\d+ passed/)
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
    const { code, output } = await python(['-c', script], { input })
    expect(code, output).toBe(0)
    expect(JSON.parse(output.trim().split('\n').at(-1) as string)).toEqual({ problems: [], methods: 52 })
  })
})
