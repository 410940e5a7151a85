// Parent contexts: the PutParentContexts* TEST_Ps of metadata_store_test_suite.cc, the
// parent-context tests of metadata_store_test.py, and the link rules of the contract (§4.3).
import { expect, it } from 'vitest'
import { Code, type Context } from '../src/index.js'
import { expectCode, expectUnordered, TIMES, UNKNOWN_ID, uid } from './support.js'
import { describeTargets } from './targets.js'

// The DAG of MLMD's test: 0→1, 0→2, 2→3, 1→6, 4→5, 5→6 (parent→child).
const EDGES: readonly [number, number][] = [
  [0, 1],
  [0, 2],
  [2, 3],
  [1, 6],
  [4, 5],
  [5, 6],
]

describeTargets('parent-contexts', (t) => {
  async function contexts(count: number) {
    const s = t.store()
    const type_id = (await s.putContextType({ context_type: { name: uid('context_type_name') } })).type_id
    const list: Context[] = Array.from({ length: count }, (_, i) => ({ type_id, name: uid(`context_${i}`) }))
    const { context_ids } = await s.putContexts({ contexts: list })
    list.forEach((c, i) => {
      c.id = context_ids[i]
    })
    return { s, list, type_id }
  }

  it('PutParentContextsAlreadyExistsError (test_put_parent_contexts_already_exist_error)', async () => {
    const {
      s,
      list: [child, parent],
    } = await contexts(2)
    const request = { parent_contexts: [{ parent_id: parent?.id, child_id: child?.id }] }
    await s.putParentContexts(request)
    await expectCode(s.putParentContexts(request), Code.AlreadyExists)
  })

  it('PutParentContextsInvalidArgumentError (test_put_parent_contexts_invalid_argument_error)', async () => {
    const {
      s,
      list: [stored],
    } = await contexts(1)
    const storedId = stored?.id as bigint
    const missing1 = UNKNOWN_ID
    const missing2 = UNKNOWN_ID + 1n
    const cases: [string, bigint | undefined, bigint | undefined][] = [
      ['no parent id, no child id', undefined, undefined],
      ['no child id', storedId, undefined],
      ['no parent id', undefined, storedId],
      ['both parent and child id are not valid', missing1, missing2],
      ['parent id is not valid', missing1, storedId],
      ['child id is not valid', storedId, missing1],
    ]
    for (const [, parent_id, child_id] of cases) {
      await expectCode(
        s.putParentContexts({
          parent_contexts: [
            {
              ...(parent_id === undefined ? {} : { parent_id }),
              ...(child_id === undefined ? {} : { child_id }),
            },
          ],
        }),
        Code.InvalidArgument,
      )
    }
  })

  it("A context cannot be its own parent, nor its descendant's child (INVALID_ARGUMENT)", async () => {
    const {
      s,
      list: [a, b, c],
    } = await contexts(3)
    await expectCode(
      s.putParentContexts({ parent_contexts: [{ parent_id: a?.id, child_id: a?.id }] }),
      Code.InvalidArgument,
    )
    await s.putParentContexts({
      parent_contexts: [
        { parent_id: a?.id, child_id: b?.id },
        { parent_id: b?.id, child_id: c?.id },
      ],
    })
    await expectCode(
      s.putParentContexts({ parent_contexts: [{ parent_id: c?.id, child_id: a?.id }] }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.putParentContexts({ parent_contexts: [{ parent_id: b?.id, child_id: a?.id }] }),
      Code.InvalidArgument,
    )
  })

  it('PutParentContextsAndGetLinkedContextByContext', async () => {
    const { s, list } = await contexts(7)
    await s.putParentContexts({
      parent_contexts: EDGES.map(([p, c]) => ({ parent_id: list[p]?.id, child_id: list[c]?.id })),
    })
    const ignore = ['type', ...TIMES]
    for (let i = 0; i < list.length; i++) {
      const wantParents = EDGES.filter(([, c]) => c === i).map(([p]) => list[p] as Context)
      const wantChildren = EDGES.filter(([p]) => p === i).map(([, c]) => list[c] as Context)
      const id = list[i]?.id as bigint
      expectUnordered((await s.getParentContextsByContext({ context_id: id })).contexts, wantParents, ignore)
      expectUnordered(
        (await s.getChildrenContextsByContext({ context_id: id })).contexts,
        wantChildren,
        ignore,
      )
    }
  })

  it('test_put_parent_contexts_and_get_linked_context_by_context: linked contexts by ascending id', async () => {
    const { s, list } = await contexts(7)
    await s.putParentContexts({
      parent_contexts: EDGES.map(([p, c]) => ({ child_id: list[c]?.id, parent_id: list[p]?.id })),
    })
    // Context 6 has parents 1 and 5; context 0 has children 1 and 2.
    expect(
      (await s.getParentContextsByContext({ context_id: list[6]?.id })).contexts.map((c) => [c.id, c.name]),
    ).toEqual([
      [list[1]?.id, list[1]?.name],
      [list[5]?.id, list[5]?.name],
    ])
    expect(
      (await s.getChildrenContextsByContext({ context_id: list[0]?.id })).contexts.map((c) => [c.id, c.name]),
    ).toEqual([
      [list[1]?.id, list[1]?.name],
      [list[2]?.id, list[2]?.name],
    ])
  })

  it('PutParentContextsAndGetLinkedContextsByContexts', async () => {
    const { s, list } = await contexts(7)
    await s.putParentContexts({
      parent_contexts: EDGES.map(([p, c]) => ({ parent_id: list[p]?.id, child_id: list[c]?.id })),
    })
    const context_ids = list.map((c) => c.id as bigint)
    const parents = (await s.getParentContextsByContexts({ context_ids })).contexts
    const children = (await s.getChildrenContextsByContexts({ context_ids })).contexts
    const ignore = ['type', ...TIMES]
    for (let i = 0; i < list.length; i++) {
      const key = String(list[i]?.id)
      const wantParents = EDGES.filter(([, c]) => c === i).map(([p]) => list[p] as Context)
      const wantChildren = EDGES.filter(([p]) => p === i).map(([, c]) => list[c] as Context)
      // Only contexts that have parents (children) are keys.
      expect(key in parents).toBe(wantParents.length > 0)
      expect(key in children).toBe(wantChildren.length > 0)
      if (wantParents.length > 0) expectUnordered(parents[key]?.parent_contexts, wantParents, ignore)
      if (wantChildren.length > 0) expectUnordered(children[key]?.children_contexts, wantChildren, ignore)
    }
  })

  it('Get{Parent,Children}ContextsByContexts with no context ids is INVALID_ARGUMENT', async () => {
    const s = t.store()
    await expectCode(s.getParentContextsByContexts({ context_ids: [] }), Code.InvalidArgument)
    await expectCode(s.getChildrenContextsByContexts({}), Code.InvalidArgument)
  })

  it('Linked contexts of an unknown or unlinked context are OK and empty', async () => {
    const {
      s,
      list: [lonely],
    } = await contexts(1)
    for (const context_id of [UNKNOWN_ID, lonely?.id as bigint]) {
      expect((await s.getParentContextsByContext({ context_id })).contexts).toEqual([])
      expect((await s.getChildrenContextsByContext({ context_id })).contexts).toEqual([])
    }
  })

  it('Get{Parent,Children}ContextsByContexts leave out unknown and unlinked contexts', async () => {
    const {
      s,
      list: [lonely],
    } = await contexts(1)
    const context_ids = [UNKNOWN_ID, lonely?.id as bigint]
    expect((await s.getParentContextsByContexts({ context_ids })).contexts).toEqual({})
    expect((await s.getChildrenContextsByContexts({ context_ids })).contexts).toEqual({})
  })

  it('PutParentContexts is atomic: one bad link stores none', async () => {
    const {
      s,
      list: [a, b],
    } = await contexts(2)
    await expectCode(
      s.putParentContexts({
        parent_contexts: [
          { parent_id: a?.id, child_id: b?.id },
          { parent_id: a?.id, child_id: UNKNOWN_ID },
        ],
      }),
      Code.InvalidArgument,
    )
    expect((await s.getChildrenContextsByContext({ context_id: a?.id })).contexts).toEqual([])
  })
})
