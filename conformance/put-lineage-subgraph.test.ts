// PutLineageSubgraph: the PutLineageSubgraph* TEST_Ps of metadata_store_test_suite.cc, the put
// half of test_put_lineage_subgraph_get_lineage_subgraph (metadata_store_test.py), and the rules
// of the contract (§4.3, §8.6).
import { expect, it } from 'vitest'
import {
  type Artifact,
  Artifact_State,
  Code,
  type Context,
  type Event,
  Event_Type,
  type Execution,
  Execution_State,
  PropertyType,
  type PutLineageSubgraphRequest,
} from '../src/index.js'
import {
  danglingId,
  expectCode,
  expectOrdered,
  expectUnordered,
  ids,
  TIMES,
  UNKNOWN_ID,
  uid,
} from './support.js'
import { describeTargets } from './targets.js'

describeTargets('put-lineage-subgraph', (t) => {
  async function types() {
    const s = t.store()
    const r = await s.putTypes({
      context_types: [{ name: uid('context_type'), properties: { property_1: PropertyType.INT } }],
      execution_types: [{ name: uid('execution_type'), properties: { property_1: PropertyType.DOUBLE } }],
      artifact_types: [{ name: uid('artifact_type'), properties: { property_1: PropertyType.STRING } }],
    })
    return {
      s,
      context_type: r.context_type_ids[0] as bigint,
      execution_type: r.execution_type_ids[0] as bigint,
      artifact_type: r.artifact_type_ids[0] as bigint,
    }
  }

  it('PutLineageSubgraphAndVerifyLineageGraph', async () => {
    const { s, context_type, execution_type, artifact_type } = await types()
    const context: Context = {
      type_id: context_type,
      name: uid('context'),
      properties: { property_1: { int_value: 1n } },
    }
    await s.putContexts({ contexts: [context] })
    const execution: Execution = { type_id: execution_type, properties: { property_1: { double_value: 1 } } }
    execution.id = (await s.putExecution({ execution })).execution_id
    const artifact: Artifact = {
      type_id: artifact_type,
      uri: 'testuri',
      properties: { property_1: { string_value: '1' } },
    }
    artifact.id = (await s.putArtifacts({ artifacts: [artifact] })).artifact_ids[0]

    const event1: Event = { type: Event_Type.OUTPUT }
    const event2: Event = { type: Event_Type.INPUT, execution_id: execution.id, artifact_id: artifact.id }
    const event3: Event = {
      type: Event_Type.DECLARED_INPUT,
      execution_id: execution.id,
      artifact_id: artifact.id,
    }
    const r = await s.putLineageSubgraph({
      executions: [execution],
      artifacts: [artifact],
      contexts: [context],
      options: { reuse_context_if_already_exist: true },
      event_edges: [
        { execution_index: 0, artifact_index: 0, event: event1 },
        { execution_index: 0, artifact_index: 0, event: event2 },
        { event: event3 },
      ],
    })
    expect(r.execution_ids).toEqual([execution.id])
    expect(r.artifact_ids).toEqual([artifact.id])
    expect(r.context_ids).toHaveLength(1)
    const context_id = r.context_ids[0]
    const ignore = ['type', ...TIMES]
    expectOrdered((await s.getExecutionsByContext({ context_id })).executions, [execution], ignore)
    expectOrdered((await s.getArtifactsByContext({ context_id })).artifacts, [artifact], ignore)
    const stored = (await s.getContextsByID({ context_ids: r.context_ids })).contexts
    expectOrdered(stored, [context], ['id', ...ignore])
    if (t.fresh) expect(ids((await s.getContexts({})).contexts)).toEqual(r.context_ids)
    const { events } = await s.getEventsByExecutionIDs({ execution_ids: r.execution_ids })
    expect(events).toHaveLength(3)
    expect(events.every((e) => e.execution_id === execution.id && e.artifact_id === artifact.id)).toBe(true)
    expectUnordered(
      events,
      [{ ...event1, execution_id: execution.id, artifact_id: artifact.id }, event2, event3],
      ['milliseconds_since_epoch'],
    )
  })

  it('PutLineageSubgraphWithNewArtifactsExecutions', async () => {
    const { s, context_type, execution_type, artifact_type } = await types()
    const context: Context = {
      type_id: context_type,
      name: uid('context'),
      properties: { property_1: { int_value: 1n } },
    }
    await s.putContexts({ contexts: [context] })
    const execution: Execution = { type_id: execution_type, properties: { property_1: { double_value: 1 } } }
    execution.id = (await s.putExecution({ execution })).execution_id
    const [before] = (await s.getExecutionsByID({ execution_ids: [execution.id as bigint] })).executions
    const artifact: Artifact = {
      type_id: artifact_type,
      uri: 'testuri',
      properties: { property_1: { string_value: '1' } },
    }
    const r = await s.putLineageSubgraph({
      executions: [execution],
      artifacts: [artifact],
      contexts: [context],
      options: { reuse_context_if_already_exist: true },
      event_edges: [{ execution_index: 0, artifact_index: 0, event: { type: Event_Type.OUTPUT } }],
    })
    const context_id = r.context_ids[0]
    const executions = (await s.getExecutionsByContext({ context_id })).executions
    const artifacts = (await s.getArtifactsByContext({ context_id })).artifacts
    expectOrdered(executions, [execution], ['id', 'type', ...TIMES])
    expectOrdered(artifacts, [artifact], ['id', 'type', ...TIMES])
    if (t.impl === 'mlmd-ts') {
      // Deliberate difference (README: last_update_time_since_epoch moves only when a node
      // changes): the execution is sent unchanged, so its time stays.
      expect(executions[0]?.last_update_time_since_epoch).toBe(before?.last_update_time_since_epoch)
    } else {
      // MLMD rewrites the execution (the request omits the output-only `type`), after the
      // artifacts were written.
      expect(executions[0]?.last_update_time_since_epoch).toBeGreaterThanOrEqual(
        artifacts[0]?.create_time_since_epoch as bigint,
      )
    }
  })

  it('PutLineageSubgraphUpdatesArtifactsAndExecutions', async () => {
    const { s, execution_type, artifact_type } = await types()
    const execution: Execution = {
      last_known_state: Execution_State.RUNNING,
      type_id: execution_type,
      properties: { property_1: { double_value: 1 } },
      custom_properties: { property_2: { double_value: 2 } },
    }
    execution.id = (await s.putExecution({ execution })).execution_id
    const artifact: Artifact = {
      state: Artifact_State.PENDING,
      type_id: artifact_type,
      uri: 'testuri',
      properties: { property_1: { string_value: '1' } },
      custom_properties: { property_2: { string_value: '2' } },
    }
    artifact.id = (await s.putArtifacts({ artifacts: [artifact] })).artifact_ids[0]
    Object.assign(execution, {
      last_known_state: Execution_State.COMPLETE,
      properties: { property_1: { double_value: 2 } },
      custom_properties: { property_2: { double_value: 3 } },
    })
    Object.assign(artifact, {
      state: Artifact_State.LIVE,
      properties: { property_1: { string_value: '2' } },
      custom_properties: { property_2: { string_value: '3' } },
    })
    const r = await s.putLineageSubgraph({ executions: [execution], artifacts: [artifact] })
    expectOrdered(
      (await s.getExecutionsByID({ execution_ids: r.execution_ids })).executions,
      [execution],
      ['type', ...TIMES],
    )
    expectOrdered(
      (await s.getArtifactsByID({ artifact_ids: r.artifact_ids })).artifacts,
      [artifact],
      ['type', ...TIMES],
    )
  })

  it('PutAndGetLineageSubgraphWithArtifactReuseOption', async () => {
    const { s, execution_type, artifact_type } = await types()
    const artifact: Artifact = {
      external_id: uid('artifact_reference_str'),
      name: uid('artifact_name'),
      type_id: artifact_type,
    }
    const request: PutLineageSubgraphRequest = {
      executions: [{ type_id: execution_type }],
      artifacts: [artifact],
    }
    // 1.1: insert.
    const first = await s.putLineageSubgraph(request)
    expect(first.artifact_ids).toHaveLength(1)
    const artifactId = first.artifact_ids[0] as bigint
    // 1.2: the same external_id without the option is ALREADY_EXISTS.
    artifact.uri = 'new_uri'
    await expectCode(s.putLineageSubgraph(request), Code.AlreadyExists)
    // 2.1: with the option the stored artifact is updated.
    request.options = { reuse_artifact_if_already_exist_by_external_id: true }
    expect((await s.putLineageSubgraph(request)).artifact_ids).toEqual([artifactId])
    expect((await s.getArtifactsByID({ artifact_ids: [artifactId] })).artifacts[0]?.uri).toBe('new_uri')
    // 2.2: without an external_id, (type, name) is taken.
    delete artifact.external_id
    await expectCode(s.putLineageSubgraph(request), Code.AlreadyExists)
    // 3: with the id, the external_id is updated.
    const newExternalId = uid('new_external_id')
    Object.assign(artifact, { id: artifactId, external_id: newExternalId })
    await s.putLineageSubgraph(request)
    expect((await s.getArtifactsByID({ artifact_ids: [artifactId] })).artifacts[0]?.external_id).toBe(
      newExternalId,
    )
    // 4: a new external_id with the option inserts.
    const another = {
      external_id: uid('another_artifact_reference_str'),
      name: uid('another_artifact_name'),
      type_id: artifact_type,
    }
    request.artifacts = [another]
    const inserted = (await s.putLineageSubgraph(request)).artifact_ids[0] as bigint
    expect(inserted).not.toBe(artifactId)
    expect((await s.getArtifactsByID({ artifact_ids: [inserted] })).artifacts[0]?.external_id).toBe(
      another.external_id,
    )
  })

  it('PutLineageSubgraphFailsWithInvalidEventEdge', async () => {
    const { s, context_type, execution_type, artifact_type } = await types()
    const execution: Execution = { type_id: execution_type }
    execution.id = (await s.putExecution({ execution })).execution_id
    const artifact: Artifact = { type_id: artifact_type, uri: 'testuri' }
    artifact.id = (await s.putArtifacts({ artifacts: [artifact] })).artifact_ids[0]
    const context: Context = { type_id: context_type, name: uid('context') }
    await s.putContexts({ contexts: [context] })
    const base = (): PutLineageSubgraphRequest => ({
      artifacts: [{ ...artifact }],
      executions: [{ ...execution }],
      event_edges: [{ execution_index: 0, artifact_index: 0, event: { type: Event_Type.INPUT } }],
    })
    const edit = (f: (r: PutLineageSubgraphRequest) => void): PutLineageSubgraphRequest => {
      const r = base()
      f(r)
      return r
    }
    const edge = (r: PutLineageSubgraphRequest) =>
      r.event_edges?.[0] as NonNullable<PutLineageSubgraphRequest['event_edges']>[0]

    // No event.
    await expectCode(s.putLineageSubgraph(edit((r) => delete edge(r).event)), Code.InvalidArgument)
    // No execution_index and no execution id.
    await expectCode(s.putLineageSubgraph(edit((r) => delete edge(r).execution_index)), Code.InvalidArgument)
    // No artifact_index and no artifact id.
    await expectCode(s.putLineageSubgraph(edit((r) => delete edge(r).artifact_index)), Code.InvalidArgument)
    // Indices out of range.
    await expectCode(s.putLineageSubgraph(edit((r) => (r.executions = []))), Code.OutOfRange)
    await expectCode(s.putLineageSubgraph(edit((r) => (r.artifacts = []))), Code.OutOfRange)
    // An existing context, without reuse.
    await expectCode(s.putLineageSubgraph(edit((r) => (r.contexts = [context]))), Code.AlreadyExists)
    // Event ids that disagree with the nodes at the indices.
    await expectCode(
      s.putLineageSubgraph(
        edit((r) => ((edge(r).event as Event).execution_id = (execution.id as bigint) + 1n)),
      ),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putLineageSubgraph(
        edit((r) => ((edge(r).event as Event).artifact_id = (artifact.id as bigint) + 1n)),
      ),
      Code.InvalidArgument,
    )
    // Event ids given while the node at the index has no id.
    await expectCode(
      s.putLineageSubgraph(
        edit((r) => {
          ;(edge(r).event as Event).execution_id = execution.id
          delete ((r.executions as Execution[])[0] as Execution).id
        }),
      ),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putLineageSubgraph(
        edit((r) => {
          ;(edge(r).event as Event).artifact_id = artifact.id
          delete ((r.artifacts as Artifact[])[0] as Artifact).id
        }),
      ),
      Code.InvalidArgument,
    )
    // The base request itself is fine.
    expect((await s.putLineageSubgraph(base())).execution_ids).toEqual([execution.id])
  })

  it('A node without type_id, even an update, is INVALID_ARGUMENT; an unknown type NOT_FOUND', async () => {
    const { s, execution_type, artifact_type } = await types()
    const [artifactId] = (await s.putArtifacts({ artifacts: [{ type_id: artifact_type }] })).artifact_ids
    await expectCode(s.putLineageSubgraph({ artifacts: [{ id: artifactId }] }), Code.InvalidArgument)
    await expectCode(s.putLineageSubgraph({ executions: [{}] }), Code.InvalidArgument)
    await expectCode(s.putLineageSubgraph({ executions: [{ type_id: UNKNOWN_ID }] }), Code.NotFound)
    await expectCode(
      s.putLineageSubgraph({
        executions: [{ type_id: execution_type }],
        artifacts: [{ type_id: UNKNOWN_ID }],
      }),
      Code.NotFound,
    )
  })

  it('PutLineageSubgraph is atomic: a failing edge stores no node', async () => {
    const { s, execution_type, artifact_type } = await types()
    const executionTypeName = (await s.getExecutionTypesByID({ type_ids: [execution_type] }))
      .execution_types[0]?.name
    await expectCode(
      s.putLineageSubgraph({
        executions: [{ type_id: execution_type }],
        artifacts: [{ type_id: artifact_type }],
        event_edges: [{ execution_index: 0, artifact_index: 5, event: { type: Event_Type.OUTPUT } }],
      }),
      Code.OutOfRange,
    )
    expect((await s.getExecutionsByType({ type_name: executionTypeName })).executions).toEqual([])
  })

  it('test_put_lineage_subgraph_get_lineage_subgraph (put half): links every context to every node', async () => {
    const { s, context_type, execution_type, artifact_type } = await types()
    const contextTypeName = (await s.getContextTypesByID({ type_ids: [context_type] })).context_types[0]?.name
    const existingContext: Context = { type_id: context_type, name: uid('existing_context') }
    const [existingContextId] = (await s.putContexts({ contexts: [existingContext] })).context_ids
    const newContext: Context = { type_id: context_type, name: uid('new_context') }
    const existingExecution: Execution = { type_id: execution_type, name: uid('existing_execution') }
    existingExecution.id = (await s.putExecutions({ executions: [existingExecution] })).execution_ids[0]
    const newExecution: Execution = { type_id: execution_type, name: uid('new_execution') }
    const input: Artifact = { type_id: artifact_type, uri: 'testuri' }
    input.id = (await s.putArtifacts({ artifacts: [input] })).artifact_ids[0]
    const output: Artifact = { type_id: artifact_type, uri: uid('output_artifact') }
    const request: PutLineageSubgraphRequest = {
      executions: [existingExecution, newExecution],
      artifacts: [input, output],
      contexts: [existingContext, newContext],
      event_edges: [
        {
          execution_index: 0,
          artifact_index: 0,
          event: { type: Event_Type.INPUT, execution_id: existingExecution.id, artifact_id: input.id },
        },
        { artifact_index: 1, event: { type: Event_Type.OUTPUT, execution_id: existingExecution.id } },
        { execution_index: 1, event: { type: Event_Type.INPUT, artifact_id: input.id } },
        { execution_index: 1, artifact_index: 1, event: { type: Event_Type.OUTPUT } },
      ],
    }
    await expectCode(s.putLineageSubgraph(request), Code.AlreadyExists)
    const r = await s.putLineageSubgraph({ ...request, options: { reuse_context_if_already_exist: true } })
    expect(r.execution_ids).toHaveLength(2)
    expect(r.execution_ids[0]).toBe(existingExecution.id)
    expect(r.artifact_ids).toHaveLength(2)
    expect(r.artifact_ids[0]).toBe(input.id)
    expect(r.context_ids).toHaveLength(2)
    expect(r.context_ids[0]).toBe(existingContextId)
    const [newExecutionId, outputId, newContextId] = [r.execution_ids[1], r.artifact_ids[1], r.context_ids[1]]

    const byType = (await s.getContextsByType({ type_name: contextTypeName })).contexts
    expect(byType.map((c) => [c.id, c.name])).toEqual([
      [existingContextId, existingContext.name],
      [newContextId, newContext.name],
    ])
    for (const context_id of r.context_ids) {
      const artifacts = (await s.getArtifactsByContext({ context_id })).artifacts
      expect(artifacts.map((a) => [a.id, a.uri])).toEqual([
        [input.id, 'testuri'],
        [outputId, output.uri],
      ])
      const executions = (await s.getExecutionsByContext({ context_id })).executions
      expect(executions.map((e) => [e.id, e.name])).toEqual([
        [existingExecution.id, existingExecution.name],
        [newExecutionId, newExecution.name],
      ])
    }
    const { events } = await s.getEventsByExecutionIDs({ execution_ids: r.execution_ids })
    expect(events.map((e) => [e.execution_id, e.artifact_id, e.type]).sort()).toEqual(
      [
        [existingExecution.id, input.id, Event_Type.INPUT],
        [existingExecution.id, outputId, Event_Type.OUTPUT],
        [newExecutionId, input.id, Event_Type.INPUT],
        [newExecutionId, outputId, Event_Type.OUTPUT],
      ].sort(),
    )
  })

  it('An edge event naming a missing node by id: MLMD stores it dangling, mlmd-ts answers INVALID_ARGUMENT', async () => {
    const { s, execution_type } = await types()
    const request: PutLineageSubgraphRequest = {
      executions: [{ type_id: execution_type }],
      event_edges: [{ execution_index: 0, event: { type: Event_Type.INPUT, artifact_id: danglingId() } }],
    }
    if (t.impl === 'mlmd-ts') {
      // Deliberate difference (README: "Edges must point at nodes that exist").
      await expectCode(s.putLineageSubgraph(request), Code.InvalidArgument)
    } else {
      const r = await s.putLineageSubgraph(request)
      expect(r.execution_ids).toHaveLength(1)
    }
  })
})
