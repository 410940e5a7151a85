// Attributions (context–artifact) and associations (context–execution):
// PutAndUseAttributionsAndAssociations of metadata_store_test_suite.cc, the link tests of
// metadata_store_test.py, and the link rules of the contract (§1.3, §4.3).
import { expect, it } from 'vitest'
import { type Artifact, Code, type Context, type Execution, PropertyType } from '../src/index.js'
import { expectCode, expectProto, expectUnordered, ids, TIMES, UNKNOWN_ID, uid } from './support.js'
import { describeTargets } from './targets.js'

describeTargets('attributions-associations', (t) => {
  async function setup() {
    const s = t.store()
    const types = await s.putTypes({
      artifact_types: [{ name: uid('artifact_type') }],
      execution_types: [{ name: uid('execution_type'), properties: { property: PropertyType.STRING } }],
      context_types: [{ name: uid('context_type') }],
    })
    return {
      s,
      artifact_type: types.artifact_type_ids[0] as bigint,
      execution_type: types.execution_type_ids[0] as bigint,
      context_type: types.context_type_ids[0] as bigint,
    }
  }

  it('PutAndUseAttributionsAndAssociations', async () => {
    const { s, artifact_type, execution_type, context_type } = await setup()
    const execution: Execution = { type_id: execution_type, properties: { property: { string_value: '1' } } }
    execution.id = (await s.putExecutions({ executions: [execution] })).execution_ids[0]
    const artifact: Artifact = {
      uri: 'testuri',
      type_id: artifact_type,
      custom_properties: { custom: { int_value: 1n } },
    }
    artifact.id = (await s.putArtifacts({ artifacts: [artifact] })).artifact_ids[0]
    const context: Context = { name: uid('context'), type_id: context_type }
    context.id = (await s.putContexts({ contexts: [context] })).context_ids[0]
    const ignore = ['type', ...TIMES]

    const request = {
      attributions: [{ artifact_id: artifact.id, context_id: context.id }],
      associations: [] as { execution_id?: bigint; context_id?: bigint }[],
    }
    await s.putAttributionsAndAssociations(request)
    expectProto((await s.getContextsByArtifact({ artifact_id: artifact.id })).contexts[0], context, ignore)
    expectProto((await s.getArtifactsByContext({ context_id: context.id })).artifacts[0], artifact, ignore)

    // Add the association and send the existing attribution again.
    request.associations.push({ execution_id: execution.id, context_id: context.id })
    await s.putAttributionsAndAssociations(request)
    expectProto((await s.getContextsByExecution({ execution_id: execution.id })).contexts[0], context, ignore)
    expectProto((await s.getExecutionsByContext({ context_id: context.id })).executions[0], execution, ignore)

    // A second artifact, with the existing links repeated.
    const artifact2: Artifact = { uri: 'testuri2', type_id: artifact_type }
    artifact2.id = (await s.putArtifacts({ artifacts: [artifact2] })).artifact_ids[0]
    request.attributions.push({ artifact_id: artifact2.id, context_id: context.id })
    await s.putAttributionsAndAssociations(request)
    expectUnordered(
      (await s.getArtifactsByContext({ context_id: context.id })).artifacts,
      [artifact, artifact2],
      ignore,
    )
  })

  it('test_put_and_use_attributions_and_associations', async () => {
    const { s, artifact_type, execution_type, context_type } = await setup()
    const name = uid('context')
    const [context_id] = (await s.putContexts({ contexts: [{ type_id: context_type, name }] })).context_ids
    const [execution_id] = (
      await s.putExecutions({
        executions: [{ type_id: execution_type, properties: { property: { string_value: '3' } } }],
      })
    ).execution_ids
    const [artifact_id] = (await s.putArtifacts({ artifacts: [{ type_id: artifact_type, uri: 'testuri' }] }))
      .artifact_ids
    await s.putAttributionsAndAssociations({
      attributions: [{ artifact_id, context_id }],
      associations: [{ execution_id, context_id }],
    })
    const byArtifact = (await s.getContextsByArtifact({ artifact_id })).contexts
    expect(byArtifact.map((c) => [c.id, c.name])).toEqual([[context_id, name]])
    expect((await s.getArtifactsByContext({ context_id })).artifacts.map((a) => a.uri)).toEqual(['testuri'])
    expect((await s.getExecutionsByContext({ context_id })).executions.map((e) => e.properties)).toEqual([
      { property: { string_value: '3' } },
    ])
    expect((await s.getContextsByExecution({ execution_id })).contexts.map((c) => [c.id, c.name])).toEqual([
      [context_id, name],
    ])
  })

  it('test_put_duplicated_attributions_and_empty_associations', async () => {
    const { s, artifact_type, context_type } = await setup()
    const name = uid('context')
    const [context_id] = (await s.putContexts({ contexts: [{ type_id: context_type, name }] })).context_ids
    const [artifact_id] = (await s.putArtifacts({ artifacts: [{ type_id: artifact_type, uri: 'testuri' }] }))
      .artifact_ids
    const attribution = { artifact_id, context_id }
    await s.putAttributionsAndAssociations({ attributions: [attribution, attribution], associations: [] })
    expect((await s.getContextsByArtifact({ artifact_id })).contexts.map((c) => [c.id, c.name])).toEqual([
      [context_id, name],
    ])
    expect((await s.getArtifactsByContext({ context_id })).artifacts.map((a) => a.uri)).toEqual(['testuri'])
    expect((await s.getExecutionsByContext({ context_id })).executions).toEqual([])
  })

  it('A link without one of its ids is INVALID_ARGUMENT', async () => {
    const { s, artifact_type, execution_type, context_type } = await setup()
    const [context_id] = (await s.putContexts({ contexts: [{ type_id: context_type, name: uid('c') }] }))
      .context_ids
    const [artifact_id] = (await s.putArtifacts({ artifacts: [{ type_id: artifact_type }] })).artifact_ids
    const [execution_id] = (await s.putExecutions({ executions: [{ type_id: execution_type }] }))
      .execution_ids
    await expectCode(
      s.putAttributionsAndAssociations({ attributions: [{ artifact_id }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putAttributionsAndAssociations({ attributions: [{ context_id }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putAttributionsAndAssociations({ associations: [{ execution_id }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putAttributionsAndAssociations({ associations: [{ context_id }] }),
      Code.InvalidArgument,
    )
  })

  it('A link to a node that does not exist is INVALID_ARGUMENT', async () => {
    const { s, artifact_type, execution_type, context_type } = await setup()
    const [context_id] = (await s.putContexts({ contexts: [{ type_id: context_type, name: uid('c') }] }))
      .context_ids
    const [artifact_id] = (await s.putArtifacts({ artifacts: [{ type_id: artifact_type }] })).artifact_ids
    const [execution_id] = (await s.putExecutions({ executions: [{ type_id: execution_type }] }))
      .execution_ids
    await expectCode(
      s.putAttributionsAndAssociations({ attributions: [{ artifact_id: UNKNOWN_ID, context_id }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putAttributionsAndAssociations({ attributions: [{ artifact_id, context_id: UNKNOWN_ID }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putAttributionsAndAssociations({ associations: [{ execution_id: UNKNOWN_ID, context_id }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putAttributionsAndAssociations({ associations: [{ execution_id, context_id: UNKNOWN_ID }] }),
      Code.InvalidArgument,
    )
  })

  it('PutAttributionsAndAssociations is atomic: a bad link stores none', async () => {
    const { s, artifact_type, context_type } = await setup()
    const [context_id] = (await s.putContexts({ contexts: [{ type_id: context_type, name: uid('c') }] }))
      .context_ids
    const [artifact_id] = (await s.putArtifacts({ artifacts: [{ type_id: artifact_type }] })).artifact_ids
    await expectCode(
      s.putAttributionsAndAssociations({
        attributions: [
          { artifact_id, context_id },
          { artifact_id: UNKNOWN_ID, context_id },
        ],
      }),
      Code.InvalidArgument,
    )
    expect((await s.getArtifactsByContext({ context_id })).artifacts).toEqual([])
  })

  it('GetContextsByArtifact and GetContextsByExecution without links are NOT_FOUND', async () => {
    const { s, artifact_type, execution_type } = await setup()
    const [artifact_id] = (await s.putArtifacts({ artifacts: [{ type_id: artifact_type }] })).artifact_ids
    const [execution_id] = (await s.putExecutions({ executions: [{ type_id: execution_type }] }))
      .execution_ids
    await expectCode(s.getContextsByArtifact({ artifact_id }), Code.NotFound)
    await expectCode(s.getContextsByExecution({ execution_id }), Code.NotFound)
  })

  it('GetArtifactsByContext and GetExecutionsByContext of an unknown context are OK and empty', async () => {
    const s = t.store()
    expect((await s.getArtifactsByContext({ context_id: UNKNOWN_ID })).artifacts).toEqual([])
    expect((await s.getExecutionsByContext({ context_id: UNKNOWN_ID })).executions).toEqual([])
  })

  it('Linked reads answer by ascending id', async () => {
    const { s, artifact_type, execution_type, context_type } = await setup()
    const context_ids = (
      await s.putContexts({
        contexts: [
          { type_id: context_type, name: uid('c') },
          { type_id: context_type, name: uid('c') },
        ],
      })
    ).context_ids as bigint[]
    const artifact_ids = (
      await s.putArtifacts({
        artifacts: [{ type_id: artifact_type }, { type_id: artifact_type }, { type_id: artifact_type }],
      })
    ).artifact_ids as bigint[]
    const [execution_id] = (await s.putExecutions({ executions: [{ type_id: execution_type }] }))
      .execution_ids
    const [c0, c1] = context_ids as [bigint, bigint]
    await s.putAttributionsAndAssociations({
      attributions: [...artifact_ids].reverse().map((artifact_id) => ({ artifact_id, context_id: c0 })),
      associations: [
        { execution_id, context_id: c1 },
        { execution_id, context_id: c0 },
      ],
    })
    expect((await s.getArtifactsByContext({ context_id: c0 })).artifacts.map((a) => a.id)).toEqual(
      artifact_ids,
    )
    expect((await s.getContextsByExecution({ execution_id })).contexts.map((c) => c.id)).toEqual(
      ids([{ id: c1 }, { id: c0 }]),
    )
  })
})
