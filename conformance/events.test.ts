// Events: PutEventGetEvents of metadata_store_test_suite.cc, the event tests of
// metadata_store_test.py, and the event rules of the contract (§4.3).
import { expect, it } from 'vitest'
import { Code, type Event, Event_Type } from '../src/index.js'
import { expectCode, expectOrdered, UNKNOWN_ID, uid } from './support.js'
import { describeTargets, type Target } from './targets.js'

/** A fresh execution type, artifact type, `executions` executions and `artifacts` artifacts. */
async function nodes(t: Target, executions: number, artifacts: number) {
  const s = t.store()
  const execution_type = (await s.putExecutionType({ execution_type: { name: uid('test_type') } })).type_id
  const artifact_type = (await s.putArtifactType({ artifact_type: { name: uid('test_type') } })).type_id
  const { execution_ids } = await s.putExecutions({
    executions: Array.from({ length: executions }, () => ({ type_id: execution_type })),
  })
  const { artifact_ids } = await s.putArtifacts({
    artifacts: Array.from({ length: artifacts }, () => ({ type_id: artifact_type })),
  })
  return { s, execution_ids: execution_ids as bigint[], artifact_ids: artifact_ids as bigint[] }
}

describeTargets('events', (t) => {
  it('PutEventGetEvents', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [artifact_id],
    } = await nodes(t, 1, 1)
    await s.putEvents({ events: [{ artifact_id, execution_id, type: Event_Type.DECLARED_OUTPUT }] })
    const byArtifact = await s.getEventsByArtifactIDs({ artifact_ids: [artifact_id as bigint] })
    expect(byArtifact.events).toHaveLength(1)
    expect(byArtifact.events[0]?.execution_id).toBe(execution_id)
    const byExecution = await s.getEventsByExecutionIDs({ execution_ids: [execution_id as bigint] })
    expect(byExecution.events).toHaveLength(1)
    expect(byExecution.events[0]?.artifact_id).toBe(artifact_id)
  })

  it('test_put_events_get_events', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [artifact_id],
    } = await nodes(t, 1, 1)
    await s.putEvents({ events: [{ type: Event_Type.DECLARED_OUTPUT, artifact_id, execution_id }] })
    const want: Event = { artifact_id, execution_id, type: Event_Type.DECLARED_OUTPUT }
    expectOrdered(
      (await s.getEventsByArtifactIDs({ artifact_ids: [artifact_id as bigint] })).events,
      [want],
      ['milliseconds_since_epoch'],
    )
    expectOrdered(
      (await s.getEventsByExecutionIDs({ execution_ids: [execution_id as bigint] })).events,
      [want],
      ['milliseconds_since_epoch'],
    )
  })

  it('The store stamps an event without a time, and keeps a given one', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [a1, a2],
    } = await nodes(t, 1, 2)
    await s.putEvents({
      events: [
        { artifact_id: a1, execution_id, type: Event_Type.INPUT },
        { artifact_id: a2, execution_id, type: Event_Type.OUTPUT, milliseconds_since_epoch: 1234n },
      ],
    })
    const { events } = await s.getEventsByExecutionIDs({ execution_ids: [execution_id as bigint] })
    expect(events.find((e) => e.artifact_id === a1)?.milliseconds_since_epoch).toBeGreaterThan(0n)
    expect(events.find((e) => e.artifact_id === a2)?.milliseconds_since_epoch).toBe(1234n)
  })

  it('test_put_events_no_artifact_id', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [artifact_id],
    } = await nodes(t, 1, 1)
    await expectCode(
      s.putEvents({ events: [{ type: Event_Type.DECLARED_OUTPUT, execution_id }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putEvents({ events: [{ type: Event_Type.DECLARED_OUTPUT, artifact_id }] }),
      Code.InvalidArgument,
    )
  })

  it('An event without a type, or of type UNKNOWN, is INVALID_ARGUMENT', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [artifact_id],
    } = await nodes(t, 1, 1)
    await expectCode(s.putEvents({ events: [{ artifact_id, execution_id }] }), Code.InvalidArgument)
    await expectCode(
      s.putEvents({ events: [{ artifact_id, execution_id, type: Event_Type.UNKNOWN }] }),
      Code.InvalidArgument,
    )
  })

  it('An event naming an artifact or execution that does not exist is INVALID_ARGUMENT', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [artifact_id],
    } = await nodes(t, 1, 1)
    await expectCode(
      s.putEvents({ events: [{ artifact_id: UNKNOWN_ID, execution_id, type: Event_Type.INPUT }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putEvents({ events: [{ artifact_id, execution_id: UNKNOWN_ID, type: Event_Type.INPUT }] }),
      Code.InvalidArgument,
    )
  })

  it('A second event with the same artifact, execution and type is ALREADY_EXISTS', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [artifact_id],
    } = await nodes(t, 1, 1)
    await s.putEvents({ events: [{ artifact_id, execution_id, type: Event_Type.INPUT }] })
    await expectCode(
      s.putEvents({ events: [{ artifact_id, execution_id, type: Event_Type.INPUT }] }),
      Code.AlreadyExists,
    )
    // Another type between the same nodes is another event.
    await s.putEvents({ events: [{ artifact_id, execution_id, type: Event_Type.OUTPUT }] })
    expect((await s.getEventsByArtifactIDs({ artifact_ids: [artifact_id as bigint] })).events).toHaveLength(2)
  })

  it('PutEvents is atomic: a bad event stores none', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [artifact_id],
    } = await nodes(t, 1, 1)
    await expectCode(
      s.putEvents({
        events: [
          { artifact_id, execution_id, type: Event_Type.INPUT },
          { artifact_id, execution_id: UNKNOWN_ID, type: Event_Type.OUTPUT },
        ],
      }),
      Code.InvalidArgument,
    )
    expect((await s.getEventsByArtifactIDs({ artifact_ids: [artifact_id as bigint] })).events).toEqual([])
  })

  it('test_put_events_with_paths', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [a0, a1],
    } = await nodes(t, 1, 2)
    await s.putEvents({
      events: [
        { type: Event_Type.DECLARED_INPUT, artifact_id: a0, execution_id, path: { steps: [{ key: 'ggg' }] } },
        { type: Event_Type.DECLARED_INPUT, artifact_id: a1, execution_id, path: { steps: [{ key: 'fff' }] } },
      ],
    })
    const { events } = await s.getEventsByExecutionIDs({ execution_ids: [execution_id as bigint] })
    expect(events.map((e) => e.path)).toEqual([{ steps: [{ key: 'ggg' }] }, { steps: [{ key: 'fff' }] }])
  })

  it('test_put_events_with_paths_same_artifact', async () => {
    const {
      s,
      execution_ids: [e0, e1],
      artifact_ids: [artifact_id],
    } = await nodes(t, 2, 1)
    await s.putEvents({
      events: [
        { type: Event_Type.DECLARED_INPUT, artifact_id, execution_id: e0, path: { steps: [{ key: 'ggg' }] } },
        { type: Event_Type.DECLARED_INPUT, artifact_id, execution_id: e1, path: { steps: [{ key: 'fff' }] } },
      ],
    })
    const { events } = await s.getEventsByArtifactIDs({ artifact_ids: [artifact_id as bigint] })
    expect(events.map((e) => e.path)).toEqual([{ steps: [{ key: 'ggg' }] }, { steps: [{ key: 'fff' }] }])
  })

  it('Event paths keep mixed index and key steps in order', async () => {
    const {
      s,
      execution_ids: [execution_id],
      artifact_ids: [artifact_id],
    } = await nodes(t, 1, 1)
    const path = { steps: [{ key: 'outputs' }, { index: 0n }, { key: 'model' }, { index: -3n }, { key: '' }] }
    await s.putEvents({ events: [{ artifact_id, execution_id, type: Event_Type.OUTPUT, path }] })
    const [event] = (await s.getEventsByExecutionIDs({ execution_ids: [execution_id as bigint] })).events
    expect(event?.path).toEqual(path)
  })

  it('Events of several executions come grouped by execution', async () => {
    const {
      s,
      execution_ids: [e0, e1],
      artifact_ids: [a0, a1],
    } = await nodes(t, 2, 2)
    await s.putEvents({
      events: [
        { artifact_id: a0, execution_id: e1, type: Event_Type.INPUT },
        { artifact_id: a1, execution_id: e0, type: Event_Type.OUTPUT },
        { artifact_id: a0, execution_id: e0, type: Event_Type.INPUT },
      ],
    })
    const { events } = await s.getEventsByExecutionIDs({ execution_ids: [e1 as bigint, e0 as bigint] })
    expect(events.map((e) => e.execution_id)).toEqual([e0, e0, e1])
  })

  it('Events of unknown nodes, or of none, are OK and empty', async () => {
    const s = t.store()
    expect((await s.getEventsByExecutionIDs({ execution_ids: [UNKNOWN_ID] })).events).toEqual([])
    expect((await s.getEventsByArtifactIDs({ artifact_ids: [UNKNOWN_ID] })).events).toEqual([])
    expect((await s.getEventsByExecutionIDs({ execution_ids: [] })).events).toEqual([])
    expect((await s.getEventsByArtifactIDs({})).events).toEqual([])
  })
})
