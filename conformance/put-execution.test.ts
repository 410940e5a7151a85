// PutExecution: the PutAndGetExecution* / PutExecutionWith* TEST_Ps of
// metadata_store_test_suite.cc, the put_execution tests of metadata_store_test.py, and the
// PutExecution rules of the contract (§4.3, §8.5).
import { expect, it } from 'vitest'
import {
  type Artifact,
  Artifact_State,
  Code,
  type Context,
  Event_Type,
  type Execution,
  Execution_State,
  PropertyType,
} from '../src/index.js'
import {
  danglingId,
  expectCode,
  expectProto,
  expectUnordered,
  ids,
  sleep,
  sorted,
  TIMES,
  UNKNOWN_ID,
  uid,
} from './support.js'
import { describeTargets } from './targets.js'

describeTargets('put-execution', (t) => {
  async function types(withProperty = false) {
    const s = t.store()
    const r = await s.putTypes({
      artifact_types: [{ name: uid('artifact_type') }],
      execution_types: [
        withProperty
          ? { name: uid('execution_type'), properties: { running_status: PropertyType.STRING } }
          : { name: uid('execution_type') },
      ],
      context_types: [{ name: uid('context_type') }],
    })
    return {
      s,
      artifact_type: r.artifact_type_ids[0] as bigint,
      execution_type: r.execution_type_ids[0] as bigint,
      context_type: r.context_type_ids[0] as bigint,
    }
  }

  it('PutAndGetExecution', async () => {
    const { s, artifact_type, execution_type } = await types(true)
    const ignore = ['type', ...TIMES]
    // 1: an execution alone.
    const execution: Execution = {
      type_id: execution_type,
      properties: { running_status: { string_value: 'INIT' } },
      last_known_state: Execution_State.NEW,
    }
    const r1 = await s.putExecution({ execution })
    execution.id = r1.execution_id
    expect(r1.artifact_ids).toEqual([])
    // 2: update it, with an input artifact and no event.
    Object.assign(execution, {
      properties: { running_status: { string_value: 'RUN' } },
      last_known_state: Execution_State.RUNNING,
    })
    const artifact1: Artifact = { uri: 'uri://an_input_artifact', type_id: artifact_type }
    const r2 = await s.putExecution({ execution, artifact_event_pairs: [{ artifact: artifact1 }] })
    expect(r2.execution_id).toBe(execution.id)
    expect(r2.artifact_ids).toHaveLength(1)
    artifact1.id = r2.artifact_ids[0]
    // 3: update it with an event-only pair for the existing artifact and a new output artifact.
    Object.assign(execution, {
      properties: { running_status: { string_value: 'DONE' } },
      last_known_state: Execution_State.COMPLETE,
    })
    const artifact2: Artifact = {
      uri: 'uri://an_output_artifact',
      type_id: artifact_type,
      state: Artifact_State.LIVE,
    }
    const r3 = await s.putExecution({
      execution,
      artifact_event_pairs: [
        { event: { artifact_id: artifact1.id, execution_id: execution.id, type: Event_Type.DECLARED_INPUT } },
        { artifact: artifact2, event: { type: Event_Type.DECLARED_OUTPUT } },
      ],
    })
    expect(r3.execution_id).toBe(execution.id)
    expect(r3.artifact_ids).toHaveLength(2)
    expect(r3.artifact_ids[0]).toBe(artifact1.id)
    artifact2.id = r3.artifact_ids[1]
    // 4: empty pairs answer -1.
    const r4 = await s.putExecution({ execution, artifact_event_pairs: [{}, {}] })
    expect(r4.artifact_ids).toEqual([-1n, -1n])

    const artifacts = (
      await s.getArtifactsByID({ artifact_ids: [artifact1.id as bigint, artifact2.id as bigint] })
    ).artifacts
    expectUnordered(artifacts, [artifact1, artifact2], ignore)
    const executions = (await s.getExecutionsByID({ execution_ids: [execution.id as bigint] })).executions
    expectUnordered(executions, [execution], ignore)
    const { events } = await s.getEventsByExecutionIDs({ execution_ids: [execution.id as bigint] })
    expect(events.map((e) => e.artifact_id).sort()).toEqual(ids(artifacts))
    if (t.fresh) {
      expect((await s.getArtifacts({})).artifacts).toHaveLength(2)
      expect((await s.getExecutions({})).executions).toHaveLength(1)
    }
    // The execution was last updated no earlier than its artifacts were created.
    const newest = sorted(artifacts.map((a) => a.create_time_since_epoch as bigint)).at(-1) as bigint
    expect(newest).toBeGreaterThan(0n)
    expect(executions[0]?.last_update_time_since_epoch).toBeGreaterThanOrEqual(newest)
  })

  it('PutAndGetExecutionWithContext', async () => {
    const { s, artifact_type, execution_type, context_type } = await types()
    const context1: Context = { type_id: context_type, name: uid('context1') }
    const context2: Context = { type_id: context_type, name: uid('context2') }
    const r = await s.putExecution({
      execution: { type_id: execution_type },
      artifact_event_pairs: [{ artifact: { type_id: artifact_type } }],
      contexts: [context1, context2],
    })
    expect(r.execution_id).toBeGreaterThanOrEqual(0n)
    expect(r.artifact_ids).toHaveLength(1)
    expect(r.context_ids).toHaveLength(2)
    context1.id = r.context_ids[0]
    context2.id = r.context_ids[1]
    expectUnordered(
      (await s.getContextsByID({ context_ids: r.context_ids })).contexts,
      [context1, context2],
      ['type', ...TIMES],
    )
    // Every context is linked to the execution and to every artifact.
    for (const context_id of r.context_ids) {
      expect(ids((await s.getArtifactsByContext({ context_id })).artifacts)).toEqual(r.artifact_ids)
      expect(ids((await s.getExecutionsByContext({ context_id })).executions)).toEqual([r.execution_id])
    }
  })

  it('test_put_execution_without_context', async () => {
    const { s, artifact_type, execution_type } = await types()
    for (const contexts of [[], undefined]) {
      const r = await s.putExecution({
        execution: { type_id: execution_type },
        artifact_event_pairs: [
          { artifact: { type_id: artifact_type } },
          { artifact: { type_id: artifact_type }, event: { type: Event_Type.DECLARED_INPUT } },
        ],
        ...(contexts === undefined ? {} : { contexts }),
      })
      expect(r.artifact_ids).toHaveLength(2)
      expect(
        (await s.getEventsByExecutionIDs({ execution_ids: [r.execution_id as bigint] })).events,
      ).toHaveLength(1)
      expect(r.context_ids).toEqual([])
    }
  })

  it('test_put_execution_with_context', async () => {
    const { s, artifact_type, execution_type, context_type } = await types()
    const name = uid('context')
    const r = await s.putExecution({
      execution: { type_id: execution_type },
      artifact_event_pairs: [
        { artifact: { type_id: artifact_type } },
        { artifact: { type_id: artifact_type }, event: { type: Event_Type.DECLARED_INPUT } },
      ],
      contexts: [{ type_id: context_type, name }],
    })
    expect(r.artifact_ids).toHaveLength(2)
    expect(
      (await s.getEventsByExecutionIDs({ execution_ids: [r.execution_id as bigint] })).events,
    ).toHaveLength(1)
    expect(r.context_ids).toHaveLength(1)
    expect((await s.getContextsByID({ context_ids: r.context_ids })).contexts).toHaveLength(1)
    const byExecution = (await s.getContextsByExecution({ execution_id: r.execution_id })).contexts
    expect(byExecution.map((c) => [c.name, c.type_id])).toEqual([[name, context_type]])
    expect((await s.getExecutionsByContext({ context_id: r.context_ids[0] })).executions).toHaveLength(1)
  })

  it('PutAndGetExecutionWithContextReuseOption', async () => {
    const { s, execution_type, context_type } = await types()
    const context: Context = { type_id: context_type, name: uid('context') }
    const request = { execution: { type_id: execution_type }, contexts: [context] }
    const first = await s.putExecution(request)
    await expectCode(s.putExecution(request), Code.AlreadyExists)
    const reused = await s.putExecution({ ...request, options: { reuse_context_if_already_exist: true } })
    expect(reused.context_ids).toEqual(first.context_ids)
    expect(reused.execution_id).not.toBe(first.execution_id)
    const contextTypeName = (await s.getContextTypesByID({ type_ids: [context_type] })).context_types[0]?.name
    const stored = (await s.getContextsByType({ type_name: contextTypeName })).contexts
    expect(stored).toHaveLength(1)
    expectProto(stored[0], context, ['id', 'type', ...TIMES])
    const executions = (await s.getExecutionsByContext({ context_id: stored[0]?.id })).executions
    expectUnordered(executions, [request.execution, request.execution], ['id', 'type', ...TIMES])
  })

  it('test_put_execution_with_reuse_context_if_already_exist', async () => {
    const { s, execution_type, context_type } = await types()
    const request = {
      execution: { type_id: execution_type },
      contexts: [{ type_id: context_type, name: uid('c') }],
    }
    const first = await s.putExecution(request)
    await expectCode(s.putExecution(request), Code.AlreadyExists)
    const second = await s.putExecution({ ...request, options: { reuse_context_if_already_exist: true } })
    expect(second.context_ids).toEqual(first.context_ids)
    expect(second.execution_id).not.toBe(first.execution_id)
    expect((await s.getExecutionsByContext({ context_id: first.context_ids[0] })).executions).toHaveLength(2)
  })

  it('A reused context keeps its stored properties', async () => {
    const { s, execution_type, context_type } = await types()
    const name = uid('c')
    const [context_id] = (
      await s.putContexts({
        contexts: [{ type_id: context_type, name, custom_properties: { p: { string_value: 'kept' } } }],
      })
    ).context_ids
    const r = await s.putExecution({
      execution: { type_id: execution_type },
      contexts: [{ type_id: context_type, name, custom_properties: { p: { string_value: 'ignored' } } }],
      options: { reuse_context_if_already_exist: true },
    })
    expect(r.context_ids).toEqual([context_id])
    expect(
      (await s.getContextsByID({ context_ids: [context_id as bigint] })).contexts[0]?.custom_properties,
    ).toEqual({
      p: { string_value: 'kept' },
    })
  })

  it('PutExecutionWithForceReuseContextOption', async () => {
    const { s, execution_type, context_type } = await types()
    const original: Context = {
      type_id: context_type,
      name: uid('context'),
      custom_properties: { property1: { string_value: 'value1' } },
    }
    original.id = (await s.putContexts({ contexts: [original] })).context_ids[0]
    const modified: Context = {
      ...original,
      custom_properties: { property1: { string_value: 'changed' }, property2: { string_value: 'added' } },
    }
    const r = await s.putExecution({
      execution: { type_id: execution_type },
      contexts: [modified],
      options: { force_reuse_context: true },
    })
    expect(r.context_ids).toEqual([original.id])
    expectUnordered(
      (await s.getContextsByID({ context_ids: [original.id as bigint] })).contexts,
      [original],
      ['type', ...TIMES],
    )
    // The execution is still associated with the context.
    expect(ids((await s.getExecutionsByContext({ context_id: original.id })).executions)).toEqual([
      r.execution_id,
    ])
  })

  it('PutExecutionWithForceReuseContextOptionContextDoesNotExist', async () => {
    const { s, execution_type, context_type } = await types()
    await expectCode(
      s.putExecution({
        execution: { type_id: execution_type },
        contexts: [{ id: UNKNOWN_ID, type_id: context_type, name: uid('context') }],
        options: { force_reuse_context: true },
      }),
      Code.NotFound,
    )
  })

  it('PutExecutionWithForceReuseContextAndReuseContextIfAlreadyExistOptions', async () => {
    const { s, execution_type, context_type } = await types()
    const one: Context = {
      type_id: context_type,
      name: uid('one'),
      custom_properties: { property1: { string_value: 'value1' } },
    }
    const two: Context = {
      type_id: context_type,
      name: uid('two'),
      custom_properties: { property2: { string_value: 'value2' } },
    }
    const [oneId, twoId] = (await s.putContexts({ contexts: [one, two] })).context_ids
    const modifiedOne: Context = {
      ...one,
      id: oneId,
      custom_properties: { property1: { string_value: 'changed1' }, property2: { string_value: 'changed2' } },
    }
    const modifiedTwo: Context = { ...two }
    await s.putExecution({
      execution: { type_id: execution_type },
      contexts: [modifiedOne, modifiedTwo],
      options: { force_reuse_context: true, reuse_context_if_already_exist: true },
    })
    expectUnordered(
      (await s.getContextsByID({ context_ids: [oneId as bigint, twoId as bigint] })).contexts,
      [
        { ...one, id: oneId },
        { ...two, id: twoId },
      ],
      ['type', ...TIMES],
    )
  })

  it('test_put_execution_force_reuse_context', async () => {
    const { s, execution_type, context_type } = await types()
    const original: Context = {
      type_id: context_type,
      name: uid('c'),
      custom_properties: { property1: { string_value: 'value1' } },
    }
    const [id] = (await s.putContexts({ contexts: [original] })).context_ids
    const r = await s.putExecution({
      execution: { type_id: execution_type },
      artifact_event_pairs: [],
      contexts: [
        {
          id,
          type_id: context_type,
          name: original.name,
          custom_properties: { property1: { string_value: 'changed' }, property2: { string_value: 'added' } },
        },
      ],
      options: { force_reuse_context: true },
    })
    expect(r.context_ids).toEqual([id])
    expect((await s.getContextsByID({ context_ids: [id as bigint] })).contexts[0]?.custom_properties).toEqual(
      original.custom_properties,
    )
  })

  it('PutAndGetExecutionWithArtifactReuseOption', async () => {
    const { s, artifact_type, execution_type } = await types()
    const external_id = uid('artifact_reference_str')
    const artifact: Artifact = { external_id, name: uid('artifact_name'), type_id: artifact_type }
    const request = { execution: { type_id: execution_type }, artifact_event_pairs: [{ artifact }] }
    // 1.1: the first call inserts.
    const first = await s.putExecution(request)
    expect(first.artifact_ids).toHaveLength(1)
    const artifactId = first.artifact_ids[0] as bigint
    // 1.2: the same external_id again, without the option, is ALREADY_EXISTS.
    artifact.uri = 'new_uri'
    await expectCode(s.putExecution(request), Code.AlreadyExists)
    // 2.1: with the option the stored artifact is updated.
    const withOption = { ...request, options: { reuse_artifact_if_already_exist_by_external_id: true } }
    expect((await s.putExecution(withOption)).artifact_ids).toEqual([artifactId])
    expect((await s.getArtifactsByID({ artifact_ids: [artifactId] })).artifacts[0]?.uri).toBe('new_uri')
    // 2.2: without an external_id it is an insert, and (type, name) is taken.
    delete artifact.external_id
    await expectCode(s.putExecution(withOption), Code.AlreadyExists)
    // 3: with the id, the external_id itself is updated.
    const newExternalId = uid('new_external_id')
    Object.assign(artifact, { id: artifactId, external_id: newExternalId })
    await s.putExecution(withOption)
    expect((await s.getArtifactsByID({ artifact_ids: [artifactId] })).artifacts[0]?.external_id).toBe(
      newExternalId,
    )
  })

  it('PutAndGetExecutionWithDuplicatedArtifacts', async () => {
    const { s, artifact_type, execution_type, context_type } = await types()
    const context: Context = { type_id: context_type, name: uid('context_name') }
    context.id = (await s.putContexts({ contexts: [context] })).context_ids[0]
    const artifact: Artifact = {
      external_id: uid('artifact_reference_str'),
      name: uid('artifact_name'),
      type_id: artifact_type,
    }
    await s.putArtifacts({ artifacts: [artifact] })
    await s.putExecution({
      execution: { type_id: execution_type },
      artifact_event_pairs: [{ artifact }, { artifact }],
      contexts: [context],
      options: { reuse_artifact_if_already_exist_by_external_id: true, reuse_context_if_already_exist: true },
    })
    expectUnordered(
      (await s.getArtifactsByContext({ context_id: context.id })).artifacts,
      [artifact],
      ['id', 'type', 'uri', ...TIMES],
    )
  })

  it('test_put_execution_with_invalid_argument_errors: updating a missing execution id', async () => {
    const { s, execution_type } = await types()
    await expectCode(
      s.putExecution({
        execution: { id: UNKNOWN_ID, type_id: execution_type },
        artifact_event_pairs: [],
        contexts: [],
      }),
      Code.InvalidArgument,
    )
  })

  it('PutExecution without an execution is INVALID_ARGUMENT', async () => {
    await expectCode(t.store().putExecution({}), Code.InvalidArgument)
  })

  it("A pair's event naming another execution is INVALID_ARGUMENT", async () => {
    const { s, artifact_type, execution_type } = await types()
    const [other] = (await s.putExecutions({ executions: [{ type_id: execution_type }] })).execution_ids
    await expectCode(
      s.putExecution({
        execution: { type_id: execution_type },
        artifact_event_pairs: [
          { artifact: { type_id: artifact_type }, event: { execution_id: other, type: Event_Type.INPUT } },
        ],
      }),
      Code.InvalidArgument,
    )
  })

  it("A pair's event naming another artifact than the pair's is INVALID_ARGUMENT", async () => {
    const { s, artifact_type, execution_type } = await types()
    const [a, b] = (
      await s.putArtifacts({ artifacts: [{ type_id: artifact_type }, { type_id: artifact_type }] })
    ).artifact_ids
    await expectCode(
      s.putExecution({
        execution: { type_id: execution_type },
        artifact_event_pairs: [
          { artifact: { id: a, type_id: artifact_type }, event: { artifact_id: b, type: Event_Type.INPUT } },
        ],
      }),
      Code.InvalidArgument,
    )
  })

  it('An event-only pair without artifact_id is INVALID_ARGUMENT', async () => {
    const { s, execution_type } = await types()
    await expectCode(
      s.putExecution({
        execution: { type_id: execution_type },
        artifact_event_pairs: [{ event: { type: Event_Type.INPUT } }],
      }),
      Code.InvalidArgument,
    )
  })

  it('A context without type_id or name is INVALID_ARGUMENT', async () => {
    const { s, execution_type, context_type } = await types()
    await expectCode(
      s.putExecution({ execution: { type_id: execution_type }, contexts: [{ name: uid('c') }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putExecution({ execution: { type_id: execution_type }, contexts: [{ type_id: context_type }] }),
      Code.InvalidArgument,
    )
  })

  it('PutExecution is atomic: a failing context stores no execution, artifact or event', async () => {
    const { s, artifact_type, execution_type, context_type } = await types()
    const name = uid('taken')
    await s.putContexts({ contexts: [{ type_id: context_type, name }] })
    const executionType = (await s.getExecutionTypesByID({ type_ids: [execution_type] })).execution_types[0]
      ?.name
    const artifactType = (await s.getArtifactTypesByID({ type_ids: [artifact_type] })).artifact_types[0]?.name
    await expectCode(
      s.putExecution({
        execution: { type_id: execution_type },
        artifact_event_pairs: [{ artifact: { type_id: artifact_type }, event: { type: Event_Type.OUTPUT } }],
        contexts: [{ type_id: context_type, name }],
      }),
      Code.AlreadyExists,
    )
    expect((await s.getExecutionsByType({ type_name: executionType })).executions).toEqual([])
    expect((await s.getArtifactsByType({ type_name: artifactType })).artifacts).toEqual([])
  })

  it('force_update_time moves last_update_time_since_epoch of an unchanged execution', async () => {
    const { s, execution_type } = await types()
    const { execution_id } = await s.putExecution({ execution: { type_id: execution_type } })
    const [stored] = (await s.getExecutionsByID({ execution_ids: [execution_id as bigint] })).executions
    await sleep(5)
    // Sent back as read (with its output-only `type`), the execution is unchanged.
    await s.putExecution({ execution: stored })
    const [unchanged] = (await s.getExecutionsByID({ execution_ids: [execution_id as bigint] })).executions
    expect(unchanged?.last_update_time_since_epoch).toBe(stored?.last_update_time_since_epoch)
    await sleep(5)
    await s.putExecution({ execution: stored, options: { force_update_time: true } })
    const [forced] = (await s.getExecutionsByID({ execution_ids: [execution_id as bigint] })).executions
    expect(forced?.last_update_time_since_epoch).toBeGreaterThan(
      stored?.last_update_time_since_epoch as bigint,
    )
  })

  it('Contexts and artifact ids answer in request order', async () => {
    const { s, artifact_type, execution_type, context_type } = await types()
    const [existing] = (await s.putArtifacts({ artifacts: [{ type_id: artifact_type }] })).artifact_ids
    const r = await s.putExecution({
      execution: { type_id: execution_type },
      artifact_event_pairs: [
        { artifact: { type_id: artifact_type } },
        { event: { artifact_id: existing, type: Event_Type.INPUT } },
        { artifact: { type_id: artifact_type }, event: { type: Event_Type.OUTPUT } },
      ],
      contexts: [
        { type_id: context_type, name: uid('b') },
        { type_id: context_type, name: uid('a') },
      ],
    })
    expect(r.artifact_ids[1]).toBe(existing)
    expect(r.artifact_ids[0]).toBeLessThan(r.artifact_ids[2] as bigint)
    expect(r.context_ids[0]).toBeLessThan(r.context_ids[1] as bigint)
    const events = (await s.getEventsByExecutionIDs({ execution_ids: [r.execution_id as bigint] })).events
    expect(events.map((e) => [e.artifact_id, e.type])).toEqual([
      [existing, Event_Type.INPUT],
      [r.artifact_ids[2], Event_Type.OUTPUT],
    ])
  })

  it('An event-only pair naming a missing artifact: MLMD stores a dangling event, mlmd-ts answers INVALID_ARGUMENT', async () => {
    const { s, execution_type } = await types()
    const missing = danglingId()
    const request = {
      execution: { type_id: execution_type },
      artifact_event_pairs: [{ event: { artifact_id: missing, type: Event_Type.INPUT } }],
    }
    if (t.impl === 'mlmd-ts') {
      // Deliberate difference (README: "Edges must point at nodes that exist").
      await expectCode(s.putExecution(request), Code.InvalidArgument)
    } else {
      const r = await s.putExecution(request)
      expect(r.artifact_ids).toEqual([missing])
    }
  })
})
