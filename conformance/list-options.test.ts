// ListOperationOptions and paging: the *WithListOptions / *ThroughTypeWithOptions /
// *WithContextUsingListOptions TEST_Ps of metadata_store_test_suite.cc, the limit/paging/order
// tests of metadata_store_test.py, and the paging rules of the contract (§5).
import { expect, it } from 'vitest'
import {
  type AsyncMetadataStore,
  Code,
  Execution_State,
  ListOperationOptions_OrderByField_Field as Field,
  type ListOperationOptions,
  PropertyType,
} from '../src/index.js'
import { expectCode, expectOrdered, ids, sleep, sorted, TIMES, uid } from './support.js'
import { describeTargets } from './targets.js'

/** The token MLMD builds for ID paging: URL-safe base64 (no padding) of ListOperationNextPageToken. */
function idToken(lastId: bigint, maxResultSize: number): string {
  const varint = (n: bigint): number[] => {
    const out: number[] = []
    let v = BigInt.asUintN(64, n)
    do {
      let byte = Number(v & 0x7fn)
      v >>= 7n
      if (v > 0n) byte |= 0x80
      out.push(byte)
    } while (v > 0n)
    return out
  }
  const setOptions = [0x08, ...varint(BigInt(maxResultSize))]
  const bytes = [0x08, ...varint(lastId), 0x10, ...varint(lastId), 0x1a, setOptions.length, ...setOptions]
  return Buffer.from(bytes).toString('base64url')
}

/** Every page of a by-type listing, following tokens. */
async function allPages(s: AsyncMetadataStore, type_name: string, options: ListOperationOptions) {
  const pages: bigint[][] = []
  let token: string | undefined
  for (let i = 0; i < 50; i++) {
    const r = await s.getArtifactsByType({
      type_name,
      options: { ...options, ...(token === undefined ? {} : { next_page_token: token }) },
    })
    pages.push(r.artifacts.map((a) => a.id as bigint))
    if (!r.next_page_token) break
    token = r.next_page_token
  }
  return pages
}

describeTargets('list-options', (t) => {
  async function artifacts(count: number) {
    const s = t.store()
    const type_name = uid('test_type')
    const type_id = (await s.putArtifactType({ artifact_type: { name: type_name } })).type_id
    const { artifact_ids } = await s.putArtifacts({
      artifacts: Array.from({ length: count }, () => ({ type_id })),
    })
    return { s, type_name, type_id, artifact_ids: artifact_ids as bigint[] }
  }

  it('PutTypesAndArtifactsGetArtifactsThroughTypeWithOptions', async () => {
    const { s, type_name, artifact_ids } = await artifacts(110)
    // Without options: everything, no token.
    const all = await s.getArtifactsByType({ type_name })
    expect(ids(all.artifacts)).toEqual(artifact_ids)
    expect(all.next_page_token ?? '').toBe('')
    // max_result_size ≥ 101.
    const big = await s.getArtifactsByType({ type_name, options: { max_result_size: 102 } })
    if (t.impl === 'mlmd-ts') {
      // Deliberate difference (README: paging never loses rows): at most 100 per page, and a token.
      expect(ids(big.artifacts)).toEqual(artifact_ids.slice(0, 100))
      expect(big.next_page_token).toBeTruthy()
    } else {
      // MLMD answers 101 rows and no token; the rest is unreachable.
      expect(ids(big.artifacts)).toEqual(artifact_ids.slice(0, 101))
      expect(big.next_page_token ?? '').toBe('')
    }
    // max_result_size < 101: that many, and a token.
    const page = await s.getArtifactsByType({ type_name, options: { max_result_size: 100 } })
    expect(ids(page.artifacts)).toEqual(artifact_ids.slice(0, 100))
    expect(page.next_page_token).toBeTruthy()
    // The token alone continues (default page size 20 covers the remaining 10).
    const rest = await s.getArtifactsByType({
      type_name,
      options: { next_page_token: page.next_page_token as string },
    })
    expect(ids(rest.artifacts)).toEqual(artifact_ids.slice(100))
    expect(rest.next_page_token ?? '').toBe('')
  })

  it('PutTypesAndContextsGetContextsThroughTypeWithOptions', async () => {
    const s = t.store()
    const type_name = uid('test_type')
    const type_id = (await s.putContextType({ context_type: { name: type_name } })).type_id
    const { context_ids } = await s.putContexts({
      contexts: Array.from({ length: 110 }, (_, i) => ({ type_id, name: `name_${i}` })),
    })
    expect(ids((await s.getContextsByType({ type_name })).contexts)).toEqual(context_ids)
    const big = await s.getContextsByType({ type_name, options: { max_result_size: 102 } })
    if (t.impl === 'mlmd-ts') {
      // Deliberate difference (README: paging never loses rows).
      expect(ids(big.contexts)).toEqual(context_ids.slice(0, 100))
      expect(big.next_page_token).toBeTruthy()
    } else {
      expect(ids(big.contexts)).toEqual(context_ids.slice(0, 101))
      expect(big.next_page_token ?? '').toBe('')
    }
    const page = await s.getContextsByType({ type_name, options: { max_result_size: 100 } })
    expect(ids(page.contexts)).toEqual(context_ids.slice(0, 100))
    const rest = await s.getContextsByType({
      type_name,
      options: { next_page_token: page.next_page_token as string },
    })
    expect(ids(rest.contexts)).toEqual(context_ids.slice(100))
    expect(rest.next_page_token ?? '').toBe('')
  })

  it('PutArtifactsGetArtifactsWithListOptions', async () => {
    const s = t.store()
    const type_id = (
      await s.putArtifactType({
        artifact_type: { name: uid('test_type2'), properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const artifact = {
      type_id,
      uri: 'testuri://testing/uri',
      properties: { property: { string_value: '3' } },
    }
    const [first, second] = (await s.putArtifacts({ artifacts: [artifact, artifact] })).artifact_ids
    const options = { max_result_size: 1, order_by_field: { field: Field.CREATE_TIME, is_asc: false } }
    const page1 = await s.getArtifacts({ options })
    expect(page1.artifacts.map((a) => a.id)).toEqual([second])
    expect(page1.next_page_token).toBeTruthy()
    expectOrdered(page1.artifacts, [artifact], ['id', 'type', ...TIMES])
    const page2 = await s.getArtifacts({
      options: { ...options, next_page_token: page1.next_page_token as string },
    })
    expect(page2.artifacts.map((a) => a.id)).toEqual([first])
    expectOrdered(page2.artifacts, [artifact], ['id', 'type', ...TIMES])
    if (t.fresh) expect(page2.next_page_token ?? '').toBe('')
  })

  it('PutExecutionsGetExecutionsWithListOptions', async () => {
    const s = t.store()
    const type_id = (
      await s.putExecutionType({
        execution_type: { name: uid('test_type2'), properties: { property: PropertyType.STRING } },
      })
    ).type_id
    const execution = {
      type_id,
      properties: { property: { string_value: '3' } },
      last_known_state: Execution_State.RUNNING,
    }
    const [first, second] = (await s.putExecutions({ executions: [execution, execution] })).execution_ids
    const options = { max_result_size: 1, order_by_field: { field: Field.CREATE_TIME, is_asc: false } }
    const page1 = await s.getExecutions({ options })
    expect(page1.executions.map((e) => e.id)).toEqual([second])
    expect(page1.next_page_token).toBeTruthy()
    expectOrdered(page1.executions, [execution], ['id', 'type', ...TIMES])
    const page2 = await s.getExecutions({
      options: { ...options, next_page_token: page1.next_page_token as string },
    })
    expect(page2.executions.map((e) => e.id)).toEqual([first])
    if (t.fresh) expect(page2.next_page_token ?? '').toBe('')
  })

  it('PutContextsGetContextsWithListOptions', async () => {
    const s = t.store()
    const type_id = (
      await s.putContextType({
        context_type: { name: uid('test_type'), properties: { property_1: PropertyType.STRING } },
      })
    ).type_id
    const c0 = { type_id, name: uid('test_type_1'), properties: { property_1: { string_value: '3' } } }
    const c1 = { ...c0, name: uid('test_type_2') }
    const [first, second] = (await s.putContexts({ contexts: [c0, c1] })).context_ids
    const options = { max_result_size: 1, order_by_field: { field: Field.CREATE_TIME, is_asc: false } }
    const page1 = await s.getContexts({ options })
    expect(page1.contexts.map((c) => c.id)).toEqual([second])
    expectOrdered(page1.contexts, [c1], ['id', 'type', ...TIMES])
    const page2 = await s.getContexts({
      options: { ...options, next_page_token: page1.next_page_token as string },
    })
    expect(page2.contexts.map((c) => c.id)).toEqual([first])
    expectOrdered(page2.contexts, [c0], ['id', 'type', ...TIMES])
    if (t.fresh) expect(page2.next_page_token ?? '').toBe('')
  })

  it('PutAndGetExecutionsWithContextUsingListOptions', async () => {
    const s = t.store()
    const types = await s.putTypes({
      context_types: [{ name: uid('context_type') }],
      execution_types: [{ name: uid('execution_type') }],
    })
    const [context_id] = (
      await s.putContexts({ contexts: [{ type_id: types.context_type_ids[0], name: uid('context1') }] })
    ).context_ids
    const e1 = (await s.putExecution({ execution: { type_id: types.execution_type_ids[0] } })).execution_id
    const e2 = (await s.putExecution({ execution: { type_id: types.execution_type_ids[0] } })).execution_id
    await s.putAttributionsAndAssociations({
      associations: [
        { context_id, execution_id: e1 },
        { context_id, execution_id: e2 },
      ],
    })
    const options = { max_result_size: 1, order_by_field: { field: Field.CREATE_TIME, is_asc: false } }
    const page1 = await s.getExecutionsByContext({ context_id, options })
    expect(page1.executions.map((e) => e.id)).toEqual([e2])
    expect(page1.next_page_token).toBeTruthy()
    const page2 = await s.getExecutionsByContext({
      context_id,
      options: { ...options, next_page_token: page1.next_page_token as string },
    })
    expect(page2.executions.map((e) => e.id)).toEqual([e1])
    expect(page2.next_page_token ?? '').toBe('')
  })

  it('PutAndGetArtifactsWithContextUsingListOptions', async () => {
    const s = t.store()
    const types = await s.putTypes({
      context_types: [{ name: uid('context_type') }],
      artifact_types: [{ name: uid('artifact_type') }],
    })
    const [context_id] = (
      await s.putContexts({ contexts: [{ type_id: types.context_type_ids[0], name: uid('context1') }] })
    ).context_ids
    const type_id = types.artifact_type_ids[0]
    const [a1, a2] = (await s.putArtifacts({ artifacts: [{ type_id }, { type_id }] })).artifact_ids
    await s.putAttributionsAndAssociations({
      attributions: [
        { context_id, artifact_id: a1 },
        { context_id, artifact_id: a2 },
      ],
    })
    const options = { max_result_size: 1, order_by_field: { field: Field.CREATE_TIME, is_asc: false } }
    const page1 = await s.getArtifactsByContext({ context_id, options })
    expect(page1.artifacts.map((a) => a.id)).toEqual([a2])
    expect(page1.next_page_token).toBeTruthy()
    const page2 = await s.getArtifactsByContext({
      context_id,
      options: { ...options, next_page_token: page1.next_page_token as string },
    })
    expect(page2.artifacts.map((a) => a.id)).toEqual([a1])
    expect(page2.next_page_token ?? '').toBe('')
  })

  it('test_get_artifacts_by_limit: the newest two by id, descending', async () => {
    const { s, artifact_ids } = await artifacts(3)
    const r = await s.getArtifacts({ options: { max_result_size: 2, order_by_field: { is_asc: false } } })
    expect(r.artifacts.map((a) => a.id)).toEqual([artifact_ids[2], artifact_ids[1]])
  })

  it('test_get_artifacts_by_paged_limit, test_get_artifacts_by_order_by_field: 103 of 200 by id descending', async () => {
    const { s, artifact_ids } = await artifacts(200)
    const options = { max_result_size: 100, order_by_field: { field: Field.ID, is_asc: false } }
    const page1 = await s.getArtifacts({ options })
    expect(page1.artifacts).toHaveLength(100)
    const page2 = await s.getArtifacts({
      options: { ...options, max_result_size: 3, next_page_token: page1.next_page_token as string },
    })
    const got = [...page1.artifacts, ...page2.artifacts].map((a) => a.id)
    expect(got).toEqual([...artifact_ids].reverse().slice(0, 103))
  })

  it('test_get_executions_by_limit, test_get_executions_by_paged_limit, test_get_executions_by_order_by_field', async () => {
    const s = t.store()
    const type_id = (await s.putExecutionType({ execution_type: { name: uid('t') } })).type_id
    const { execution_ids } = await s.putExecutions({
      executions: Array.from({ length: 200 }, () => ({ type_id })),
    })
    const two = await s.getExecutions({ options: { max_result_size: 2, order_by_field: { is_asc: false } } })
    expect(two.executions.map((e) => e.id)).toEqual([execution_ids[199], execution_ids[198]])
    const options = { max_result_size: 100, order_by_field: { field: Field.ID, is_asc: false } }
    const page1 = await s.getExecutions({ options })
    const page2 = await s.getExecutions({
      options: { ...options, max_result_size: 3, next_page_token: page1.next_page_token as string },
    })
    expect([...page1.executions, ...page2.executions].map((e) => e.id)).toEqual(
      [...execution_ids].reverse().slice(0, 103),
    )
  })

  it('test_get_contexts_by_limit, test_get_contexts_by_paged_limit, test_get_contexts_by_order_by_field', async () => {
    const s = t.store()
    const type_id = (await s.putContextType({ context_type: { name: uid('t') } })).type_id
    const { context_ids } = await s.putContexts({
      contexts: Array.from({ length: 200 }, () => ({ type_id, name: uid('c') })),
    })
    const two = await s.getContexts({ options: { max_result_size: 2, order_by_field: { is_asc: false } } })
    expect(two.contexts.map((c) => c.id)).toEqual([context_ids[199], context_ids[198]])
    const options = { max_result_size: 100, order_by_field: { field: Field.ID, is_asc: false } }
    const page1 = await s.getContexts({ options })
    const page2 = await s.getContexts({
      options: { ...options, max_result_size: 3, next_page_token: page1.next_page_token as string },
    })
    expect([...page1.contexts, ...page2.contexts].map((c) => c.id)).toEqual(
      [...context_ids].reverse().slice(0, 103),
    )
  })

  it('test_get_executions_by_context_with_pagination, test_get_artifacts_by_context_with_pagination', async () => {
    const s = t.store()
    const types = await s.putTypes({
      artifact_types: [{ name: uid('a') }],
      execution_types: [{ name: uid('e') }],
      context_types: [{ name: uid('c') }],
    })
    const [context_id] = (
      await s.putContexts({ contexts: [{ type_id: types.context_type_ids[0], name: uid('c') }] })
    ).context_ids
    const { execution_ids } = await s.putExecutions({
      executions: Array.from({ length: 102 }, () => ({ type_id: types.execution_type_ids[0] })),
    })
    const { artifact_ids } = await s.putArtifacts({
      artifacts: Array.from({ length: 102 }, () => ({ type_id: types.artifact_type_ids[0] })),
    })
    await s.putAttributionsAndAssociations({
      associations: execution_ids.map((execution_id) => ({ context_id, execution_id })),
      attributions: artifact_ids.map((artifact_id) => ({ context_id, artifact_id })),
    })
    // Without options: all of them.
    expect(ids((await s.getExecutionsByContext({ context_id })).executions)).toEqual(execution_ids)
    expect(ids((await s.getArtifactsByContext({ context_id })).artifacts)).toEqual(artifact_ids)
    // Paged as the Python client pages (100 per page, CREATE_TIME descending for executions).
    const options = { max_result_size: 100, order_by_field: { field: Field.CREATE_TIME, is_asc: false } }
    const page1 = await s.getExecutionsByContext({ context_id, options })
    expect(page1.executions).toHaveLength(100)
    const page2 = await s.getExecutionsByContext({
      context_id,
      options: { ...options, next_page_token: page1.next_page_token as string },
    })
    expect(page2.next_page_token ?? '').toBe('')
    expect(sorted([...page1.executions, ...page2.executions].map((e) => e.id as bigint))).toEqual(
      execution_ids,
    )
  })

  it('test_get_executions_by_context_with_list_options: the first four by id', async () => {
    const s = t.store()
    const types = await s.putTypes({
      execution_types: [{ name: uid('e') }],
      context_types: [{ name: uid('c') }],
    })
    const [context_id] = (
      await s.putContexts({ contexts: [{ type_id: types.context_type_ids[0], name: uid('c') }] })
    ).context_ids
    const { execution_ids } = await s.putExecutions({
      executions: Array.from({ length: 5 }, () => ({ type_id: types.execution_type_ids[0] })),
    })
    await s.putAttributionsAndAssociations({
      associations: execution_ids.map((execution_id) => ({ context_id, execution_id })),
    })
    const r = await s.getExecutionsByContext({
      context_id,
      options: { max_result_size: 4, order_by_field: { field: Field.ID, is_asc: true } },
    })
    expect(r.executions.map((e) => e.id)).toEqual(execution_ids.slice(0, 4))
  })

  it('Options present without a page size: pages of 20, ascending id', async () => {
    const { s, type_name, artifact_ids } = await artifacts(25)
    const r = await s.getArtifactsByType({ type_name, options: {} })
    expect(r.artifacts.map((a) => a.id)).toEqual(artifact_ids.slice(0, 20))
    expect(r.next_page_token).toBeTruthy()
  })

  it('The next_page_token is URL-safe base64 of ListOperationNextPageToken, without padding', async () => {
    const { s, type_name, artifact_ids } = await artifacts(3)
    const r = await s.getArtifactsByType({ type_name, options: { max_result_size: 2 } })
    expect(r.next_page_token).toBe(idToken(artifact_ids[1] as bigint, 2))
    // A hand-made token in MLMD's format continues the listing.
    const next = await s.getArtifactsByType({
      type_name,
      options: { max_result_size: 2, next_page_token: idToken(artifact_ids[0] as bigint, 2) },
    })
    expect(next.artifacts.map((a) => a.id)).toEqual(artifact_ids.slice(1))
  })

  it('A present but empty next_page_token is the first page', async () => {
    const { s, type_name, artifact_ids } = await artifacts(3)
    const r = await s.getArtifactsByType({ type_name, options: { max_result_size: 2, next_page_token: '' } })
    expect(r.artifacts.map((a) => a.id)).toEqual(artifact_ids.slice(0, 2))
  })

  it('Paging by id in both directions visits every node once', async () => {
    const { s, type_name, artifact_ids } = await artifacts(7)
    for (const is_asc of [true, false]) {
      const pages = await allPages(s, type_name, {
        max_result_size: 3,
        order_by_field: { field: Field.ID, is_asc },
      })
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1])
      expect(pages.flat()).toEqual(is_asc ? artifact_ids : [...artifact_ids].reverse())
    }
  })

  it('Paging by create time visits every node once, ties broken by id', async () => {
    const { s, type_name, artifact_ids } = await artifacts(5)
    for (const is_asc of [true, false]) {
      const pages = await allPages(s, type_name, {
        max_result_size: 2,
        order_by_field: { field: Field.CREATE_TIME, is_asc },
      })
      expect(pages.flat()).toEqual(is_asc ? artifact_ids : [...artifact_ids].reverse())
    }
  })

  it('Ordering by last update time follows the updates', async () => {
    const s = t.store()
    const type_name = uid('t')
    const type_id = (await s.putArtifactType({ artifact_type: { name: type_name } })).type_id
    const created: bigint[] = []
    for (const uri of ['a', 'b', 'c']) {
      created.push((await s.putArtifacts({ artifacts: [{ type_id, uri }] })).artifact_ids[0] as bigint)
      await sleep(5)
    }
    const [a, b, c] = created as [bigint, bigint, bigint]
    await s.putArtifacts({ artifacts: [{ id: a, type_id, uri: 'a2' }] })
    const r = await s.getArtifactsByType({
      type_name,
      options: { max_result_size: 10, order_by_field: { field: Field.LAST_UPDATE_TIME, is_asc: false } },
    })
    expect(r.artifacts.map((x) => x.id)).toEqual([a, c, b])
    const pages = await allPages(s, type_name, {
      max_result_size: 1,
      order_by_field: { field: Field.LAST_UPDATE_TIME, is_asc: true },
    })
    expect(pages.flat()).toEqual([b, c, a])
  })

  it('By-type listings with options carry a next_page_token field, empty on the last page', async () => {
    const { s, type_name } = await artifacts(2)
    const r = await s.getArtifactsByType({ type_name, options: { max_result_size: 5 } })
    expect(r.artifacts).toHaveLength(2)
    expect(r.next_page_token).toBe('')
    // Without options, or for a type without nodes, there is none.
    expect((await s.getArtifactsByType({ type_name })).next_page_token).toBeUndefined()
  })

  it('max_result_size of 0 or below is INVALID_ARGUMENT', async () => {
    const { s, type_name } = await artifacts(1)
    await expectCode(s.getArtifacts({ options: { max_result_size: 0 } }), Code.InvalidArgument)
    await expectCode(
      s.getArtifactsByType({ type_name, options: { max_result_size: -1 } }),
      Code.InvalidArgument,
    )
  })

  it('Ordering by FIELD_UNSPECIFIED is INVALID_ARGUMENT', async () => {
    const { s } = await artifacts(1)
    await expectCode(
      s.getArtifacts({ options: { order_by_field: { field: Field.FIELD_UNSPECIFIED } } }),
      Code.InvalidArgument,
    )
  })

  it('A malformed next_page_token is INVALID_ARGUMENT', async () => {
    const { s, type_name } = await artifacts(1)
    await expectCode(s.getArtifacts({ options: { next_page_token: '!!not base64!!' } }), Code.InvalidArgument)
    // Valid base64 that is not a token message.
    await expectCode(
      s.getArtifactsByType({
        type_name,
        options: { next_page_token: Buffer.from([0xff, 0xff, 0xff]).toString('base64url') },
      }),
      Code.InvalidArgument,
    )
  })

  it('A token used with another order field or direction is INVALID_ARGUMENT', async () => {
    const { s, type_name } = await artifacts(3)
    const r = await s.getArtifactsByType({ type_name, options: { max_result_size: 1 } })
    await expectCode(
      s.getArtifactsByType({
        type_name,
        options: {
          max_result_size: 1,
          next_page_token: r.next_page_token as string,
          order_by_field: { field: Field.CREATE_TIME },
        },
      }),
      Code.InvalidArgument,
    )
    await expectCode(
      s.getArtifactsByType({
        type_name,
        options: {
          max_result_size: 1,
          next_page_token: r.next_page_token as string,
          order_by_field: { is_asc: false },
        },
      }),
      Code.InvalidArgument,
    )
  })

  it('A listing over no candidates answers empty before it checks the options', async () => {
    const s = t.store()
    const r = await s.getArtifactsByType({ type_name: uid('no_such_type'), options: { max_result_size: 0 } })
    expect(r.artifacts).toEqual([])
  })
})
