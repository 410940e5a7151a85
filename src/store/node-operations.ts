/**
 * Node operations shared by artifacts, executions and contexts: insert and update with MLMD's
 * validation, update masks and no-op detection, and the node reads.
 */

import {
  ARTIFACT,
  CONTEXT,
  deleteProperty,
  EXECUTION,
  findNodeIdsByExternalIds,
  findNodesByIds,
  insertNode,
  type Node,
  type NodeColumns,
  type NodeKind,
  type NodePropertyValue,
  updateNode,
  upsertProperties,
} from '../access/node-access.js'
import { findTypesByIds, type TypeRecord } from '../access/type-access.js'
import { Code, invalidArgument, MlmdError, notFound } from '../errors.js'
import { entryOf } from '../proto/map-entries.js'
import type { Artifact, Execution, FieldMask, Value } from '../proto/messages.js'
import { Artifact_State, Execution_State } from '../proto/messages.js'
import type { TypeKind } from '../storage/schema/v10.js'
import type { Op, Tx } from '../storage/transaction-executor.js'
import { VALUE_KINDS, valueKind } from '../storage/value-codec.js'
import { list, type Operations } from './operation.js'
import { readNodesFitting } from './response-size.js'

/** The current time as MLMD stores it: milliseconds since the Unix epoch. */
export function nowMillis(): bigint {
  return BigInt(Date.now())
}

/** Options of one node upsert. */
export interface UpsertNodeOptions {
  /** Restricts an update to these paths; ignored for inserts. */
  readonly mask?: FieldMask | undefined
  /** Rewrites the row and bumps its update time even when nothing changed (PutExecution). */
  readonly forceUpdateTime?: boolean
  /** The node's type, when the caller has already validated type and properties. */
  readonly validatedType?: TypeRecord
  /** Stored nodes read ahead for the whole request (see {@link StoredNodes}). */
  readonly stored?: StoredNodes
}

/**
 * The stored versions of the nodes a request updates, read with one pair of statements for the
 * whole request instead of one pair per node. A node's entry is dropped when it is written, so
 * a node that appears twice in a request is read again and its second update sees the first.
 */
export class StoredNodes {
  readonly #tx: Tx
  readonly #kind: NodeKind
  readonly #nodes: Map<bigint, Node>

  private constructor(tx: Tx, kind: NodeKind, nodes: Map<bigint, Node>) {
    this.#tx = tx
    this.#kind = kind
    this.#nodes = nodes
  }

  /** Reads the stored nodes of the ids in `requested`. */
  static *read(tx: Tx, kind: NodeKind, requested: readonly Node[]): Op<StoredNodes> {
    const ids = requested.flatMap((n) => (n.id === undefined || n.id === null ? [] : [n.id]))
    const nodes = ids.length === 0 ? [] : yield* findNodesByIds<Node>(tx, kind, ids)
    return new StoredNodes(tx, kind, new Map(nodes.map((n) => [n.id as bigint, n])))
  }

  /** The stored node with this id, or undefined when there is none. */
  *get(id: bigint): Op<Node | undefined> {
    if (this.#nodes.has(id)) return this.#nodes.get(id)
    return (yield* findNodesByIds<Node>(this.#tx, this.#kind, [id]))[0]
  }

  /** Forgets a node that is about to be written. */
  forget(id: bigint): void {
    this.#nodes.delete(id)
  }
}

// The highest number of each state enum.
const STATE_RANGES: Record<string, number> = {
  state: Math.max(...Object.values(Artifact_State)),
  last_known_state: Math.max(...Object.values(Execution_State)),
}

function typeKindOf(kind: NodeKind): TypeKind {
  return kind.tables.typeKind
}

/**
 * Validates properties against the node's type, as MLMD's `ValidatePropertiesWithType`:
 * declared properties must exist in the type and hold its value kind; custom properties may
 * hold any kind but must hold one. `maskedNames` limits the check to masked properties.
 * @throws InvalidArgument on the first violation.
 */
export function validateProperties(
  node: Node,
  type: TypeRecord,
  scope: { properties: PropertyScope; customProperties: PropertyScope } = ALL_PROPERTIES,
): void {
  for (const [name, value] of Object.entries(node.properties ?? {})) {
    if (!inScope(scope.properties, name)) continue
    const declared = entryOf(type.properties, name)
    if (declared === undefined) throw invalidArgument(`Found unknown property: ${name}`)
    const kind = valueKind(value)
    if (kind === undefined || VALUE_KINDS.indexOf(kind) + 1 !== declared) {
      throw invalidArgument(`Found unmatched property type: ${name}`)
    }
  }
  for (const [name, value] of Object.entries(node.custom_properties ?? {})) {
    if (!inScope(scope.customProperties, name)) continue
    if (valueKind(value) === undefined) throw invalidArgument(`Found custom property with no value: ${name}`)
  }
}

/** Which keys of a property map an update touches: all, some, or none. */
type PropertyScope = 'all' | 'none' | ReadonlySet<string>
const ALL_PROPERTIES = { properties: 'all', customProperties: 'all' } as const

function inScope(scope: PropertyScope, name: string): boolean {
  return scope === 'all' || (scope !== 'none' && scope.has(name))
}

function checkEnums(node: Node): void {
  for (const field of ['state', 'last_known_state'] as const) {
    const value = (node as Record<string, unknown>)[field]
    if (value === undefined || value === null) continue
    if (
      !Number.isInteger(value) ||
      (value as number) < 0 ||
      (value as number) > (STATE_RANGES[field] as number)
    ) {
      throw invalidArgument(`Unknown ${field} value ${String(value)}`)
    }
  }
}

/** Looks up the type of a node to insert or validate. @throws NotFound, InvalidArgument. */
export function* requireNodeType(tx: Tx, kind: NodeKind, typeId: bigint | undefined | null): Op<TypeRecord> {
  if (typeId === undefined || typeId === null) throw invalidArgument('Type id is missing.')
  const [type] = yield* findTypesByIds(tx, typeKindOf(kind), [typeId])
  if (type === undefined) {
    throw notFound(`Cannot find type for type_id: ${typeId} (no ${kind.name} type with that id)`)
  }
  return type
}

function requireContextName(name: string | undefined | null): string {
  if (name === undefined || name === null || name === '')
    throw invalidArgument('Context name should not be empty')
  return name
}

function columnsForInsert(kind: NodeKind, node: Node): NodeColumns {
  const columns: NodeColumns = {
    type_id: node.type_id as bigint,
    name: node.name ?? null,
    external_id: node.external_id ?? null,
  }
  if (kind === CONTEXT) columns.name = requireContextName(node.name)
  if (kind === ARTIFACT) {
    // MLMD always writes a uri, so every artifact reads back with one ('' when none was given).
    columns.uri = (node as Artifact).uri ?? ''
    columns.state = toBig((node as Artifact).state)
  } else if (kind.kindColumns.includes('last_known_state')) {
    columns.last_known_state = toBig((node as Execution).last_known_state)
  }
  return columns
}

function toBig(value: number | undefined | null): bigint | null {
  return value === undefined || value === null ? null : BigInt(value)
}

/**
 * Inserts `node` (no id) or updates the stored node with its id. Returns the id.
 * @throws see `putArtifacts`.
 */
export function* upsertNode(tx: Tx, kind: NodeKind, node: Node, options: UpsertNodeOptions = {}): Op<bigint> {
  checkEnums(node)
  if (node.id === undefined || node.id === null)
    return yield* createNode(tx, kind, node, options.validatedType)
  yield* updateStoredNode(tx, kind, node, options)
  return node.id
}

function* createNode(tx: Tx, kind: NodeKind, node: Node, validatedType: TypeRecord | undefined): Op<bigint> {
  if (validatedType === undefined) {
    const type = yield* requireNodeType(tx, kind, node.type_id)
    validateProperties(node, type)
  }
  const id = yield* insertNode(tx, kind, columnsForInsert(kind, node), nowMillis())
  const values: NodePropertyValue[] = []
  for (const [name, value] of Object.entries(node.properties ?? {})) {
    values.push({ name, isCustom: false, value })
  }
  for (const [name, value] of Object.entries(node.custom_properties ?? {})) {
    values.push({ name, isCustom: true, value })
  }
  yield* upsertProperties(tx, kind, id, values)
  return id
}

/** The top-level fields an update may change, per kind, named as proto fields and columns. */
const UPDATABLE_FIELDS: Record<
  NodeKind['name'],
  readonly ('uri' | 'state' | 'last_known_state' | 'external_id' | 'name')[]
> = {
  artifact: ['uri', 'state', 'external_id'],
  execution: ['last_known_state', 'external_id'],
  // Only contexts persist a name change; MLMD never updates artifact and execution names.
  context: ['name', 'external_id'],
}

interface ParsedMask {
  fields: Set<string>
  properties: PropertyScope
  customProperties: PropertyScope
}

// Paths: `properties` / `custom_properties` (whole maps), `properties.<key>` (one key; the key
// may itself contain dots), or a top-level field name. Unknown and empty paths are ignored.
// A mask with only empty paths is still a mask: it changes nothing, as in MLMD.
function parseMask(mask: FieldMask | undefined): ParsedMask | undefined {
  if ((mask?.paths ?? []).length === 0) return undefined
  const paths = (mask?.paths ?? []).filter((p) => p !== '')
  const parsed: ParsedMask = { fields: new Set(), properties: 'none', customProperties: 'none' }
  const addKey = (scope: PropertyScope, key: string): PropertyScope =>
    scope === 'all' ? 'all' : new Set([...(scope === 'none' ? [] : scope), key])
  for (const path of paths) {
    if (path === 'properties') parsed.properties = 'all'
    else if (path === 'custom_properties') parsed.customProperties = 'all'
    else if (path.startsWith('properties.')) parsed.properties = addKey(parsed.properties, path.slice(11))
    else if (path.startsWith('custom_properties.'))
      parsed.customProperties = addKey(parsed.customProperties, path.slice(18))
    else parsed.fields.add(path)
  }
  return parsed
}

function* updateStoredNode(tx: Tx, kind: NodeKind, node: Node, options: UpsertNodeOptions): Op<void> {
  const id = node.id as bigint
  const stored =
    options.stored === undefined
      ? (yield* findNodesByIds<Node>(tx, kind, [id]))[0]
      : yield* options.stored.get(id)
  options.stored?.forget(id)
  if (stored === undefined) throw invalidArgument(`Cannot find the given id ${id}`)
  if (node.type_id !== undefined && node.type_id !== null && node.type_id !== stored.type_id) {
    throw invalidArgument(
      `Given type_id ${node.type_id} is different from the one known before: ${stored.type_id}`,
    )
  }
  const mask = parseMask(options.mask)
  const scope = mask ?? ALL_PROPERTIES
  if (options.validatedType === undefined) {
    const type = yield* requireNodeType(tx, kind, stored.type_id)
    validateProperties(node, type, scope)
  }

  const before = storedColumns(kind, stored)
  const after: NodeColumns = { ...before }
  const request = node as Record<string, unknown>
  for (const field of UPDATABLE_FIELDS[kind.name]) {
    if (mask !== undefined && !mask.fields.has(field)) continue
    const value = request[field]
    if (field === 'name') after.name = requireContextName(value as string | undefined)
    else if (field === 'uri') after.uri = (value as string | undefined) ?? ''
    else if (field === 'external_id') after.external_id = (value as string | undefined) ?? null
    else after[field] = toBig(value as number | undefined)
  }

  let changed = columnsDiffer(before, after)
  // The changed values of both maps are written together, in one statement.
  const upserts: NodePropertyValue[] = []
  changed =
    (yield* applyPropertyChanges(
      tx,
      kind,
      id,
      false,
      node.properties,
      stored.properties,
      scope.properties,
      upserts,
    )) || changed
  changed =
    (yield* applyPropertyChanges(
      tx,
      kind,
      id,
      true,
      node.custom_properties,
      stored.custom_properties,
      scope.customProperties,
      upserts,
    )) || changed
  yield* upsertProperties(tx, kind, id, upserts)
  if (changed || options.forceUpdateTime === true) {
    // The update time moves forward on every change, even within one millisecond, so that
    // optimistic concurrency checks and LAST_UPDATE_TIME ordering see every update.
    const last = stored.last_update_time_since_epoch ?? 0n
    const now = nowMillis()
    yield* updateNode(tx, kind, id, after, now > last ? now : last + 1n)
  }
}

function storedColumns(kind: NodeKind, stored: Node): NodeColumns {
  const columns: NodeColumns = {
    type_id: stored.type_id as bigint,
    name: stored.name ?? null,
    external_id: stored.external_id ?? null,
  }
  if (kind === ARTIFACT) {
    columns.uri = (stored as Artifact).uri ?? null
    columns.state = toBig((stored as Artifact).state)
  } else if (kind.kindColumns.includes('last_known_state')) {
    columns.last_known_state = toBig((stored as Execution).last_known_state)
  }
  return columns
}

function columnsDiffer(a: NodeColumns, b: NodeColumns): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof NodeColumns>
  for (const key of keys) if ((a[key] ?? null) !== (b[key] ?? null)) return true
  return false
}

// Values are compared as messages, not by their stored encoding: a Struct's map entries may
// arrive in any order and an Any may omit an empty value, and neither is a change (as in MLMD).
function sameValue(a: Value, b: Value): boolean {
  const kind = valueKind(a)
  if (kind !== valueKind(b)) return false
  switch (kind) {
    case 'struct_value':
      return sameMessage(a.struct_value, b.struct_value)
    case 'proto_value':
      return (
        (a.proto_value?.type_url ?? '') === (b.proto_value?.type_url ?? '') &&
        Buffer.from(a.proto_value?.value ?? []).equals(Buffer.from(b.proto_value?.value ?? []))
      )
    case undefined:
      return true
    default:
      return Object.is(a[kind], b[kind])
  }
}

// Structural equality of plain messages, ignoring the order of map keys; numbers by Object.is.
function sameMessage(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b)
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameMessage(x, b[i]))
    )
  }
  const present = (o: object) => Object.entries(o).filter(([, v]) => v !== undefined && v !== null)
  const x = present(a)
  const y = new Map(present(b))
  return x.length === y.size && x.every(([k, v]) => y.has(k) && sameMessage(v, y.get(k)))
}

// Deletes the property rows an update removes and adds the values it sets to `upserts`, for the
// caller to write; returns whether anything changed.
function* applyPropertyChanges(
  tx: Tx,
  kind: NodeKind,
  id: bigint,
  isCustom: boolean,
  requested: Record<string, Value> | undefined,
  stored: Record<string, Value> | undefined,
  scope: PropertyScope,
  upserts: NodePropertyValue[],
): Op<boolean> {
  if (scope === 'none') return false
  const want = requested ?? {}
  const have = stored ?? {}
  const names = scope === 'all' ? new Set([...Object.keys(want), ...Object.keys(have)]) : scope
  let changed = false
  for (const name of names) {
    const next = entryOf(want, name)
    const previous = entryOf(have, name)
    if (next === undefined) {
      if (previous === undefined) continue
      yield* deleteProperty(tx, kind, id, name, isCustom)
    } else {
      if (previous !== undefined && sameValue(previous, next)) continue
      upserts.push({ name, isCustom, value: next })
    }
    changed = true
  }
  return changed
}

/**
 * Nodes with these external ids.
 * @throws InvalidArgument if one is empty. @throws NotFound if none exists.
 */
export function* getNodesByExternalIds<N extends Node>(
  tx: Tx,
  kind: NodeKind,
  externalIds: readonly string[] | undefined,
): Op<N[]> {
  const ids = externalIds ?? []
  if (ids.length === 0) return []
  if (ids.some((id) => id === '')) throw invalidArgument('external_id cannot be empty.')
  const nodeIds = yield* findNodeIdsByExternalIds(tx, kind, ids)
  const found = yield* readNodesFitting<N>(tx, kind, nodeIds, false)
  if (found.length === 0) throw new MlmdError(Code.NotFound, `No ${kind.name}s found for external_ids.`)
  return found
}

// MLMD's optimistic concurrency check of PutArtifacts: the caller's copy must be current.
function checkNotUpdatedSince(stored: Node | undefined, artifact: Artifact): void {
  if (stored === undefined || stored.last_update_time_since_epoch === artifact.last_update_time_since_epoch)
    return
  throw new MlmdError(
    Code.FailedPrecondition,
    `\`abort_if_latest_updated_time_changed\` is set, and the stored artifact with id = ${artifact.id} has a different last_update_time_since_epoch: ${stored.last_update_time_since_epoch} from the one in the given artifact: ${artifact.last_update_time_since_epoch ?? 'unset'}`,
  )
}

function* upsertNodes(
  tx: Tx,
  kind: NodeKind,
  nodes: readonly Node[],
  mask: FieldMask | undefined,
  occ = false,
): Op<bigint[]> {
  const stored = yield* StoredNodes.read(tx, kind, nodes)
  const ids: bigint[] = []
  for (const node of nodes) {
    if (occ && node.id !== undefined && node.id !== null) {
      checkNotUpdatedSince(yield* stored.get(node.id), node as Artifact)
    }
    ids.push(yield* upsertNode(tx, kind, node, { mask, stored }))
  }
  return ids
}

/** The node writes of the operation table. */
export const NODE_WRITE_OPERATIONS: Operations<'putArtifacts' | 'putExecutions' | 'putContexts'> = {
  putArtifacts: {
    mode: 'write',
    *body(tx, r) {
      const occ = r.options?.abort_if_latest_updated_time_changed === true
      return { artifact_ids: yield* upsertNodes(tx, ARTIFACT, list(r.artifacts), r.update_mask, occ) }
    },
  },
  putExecutions: {
    mode: 'write',
    *body(tx, r) {
      return { execution_ids: yield* upsertNodes(tx, EXECUTION, list(r.executions), r.update_mask) }
    },
  },
  putContexts: {
    mode: 'write',
    *body(tx, r) {
      return { context_ids: yield* upsertNodes(tx, CONTEXT, list(r.contexts), r.update_mask) }
    },
  },
}
