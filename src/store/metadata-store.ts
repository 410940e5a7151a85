/**
 * The in-process MLMD store: {@link createMetadataStore} opens a SQLite file (or `:memory:`) in
 * MLMD's schema and returns a {@link MetadataStore} whose every operation is one transaction.
 *
 * @example
 * ```ts
 * const store = createMetadataStore({ filename: 'mlmd.sqlite' })
 * const { type_id } = store.putArtifactType({ artifact_type: { name: 'Model', properties: { version: 1 } } })
 * const { artifact_ids } = store.putArtifacts({ artifacts: [{ type_id, uri: 's3://models/1' }] })
 * store.close()
 * ```
 */
import {
  findArtifactIdsByContext,
  findContextIdsByArtifact,
  findContextIdsByExecution,
  findEventsByArtifactIds,
  findEventsByExecutionIds,
  findExecutionIdsByContext,
} from '../access/edge-access.js'
import {
  ARTIFACT,
  CONTEXT,
  EXECUTION,
  findArtifactIdsByUris,
  findNodeIdByTypeIdAndName,
  findNodeIdsByTypeId,
  findNodesByIds,
  type Node,
  type NodeKind,
} from '../access/node-access.js'
import { unique } from '../access/sql.js'
import { findTypeByNameAndVersion, findTypesByIds } from '../access/type-access.js'
import { Code, MlmdError, notFound } from '../errors.js'
import type * as m from '../proto/messages.js'
import { MetadataSource, type OpenOptions } from '../storage/metadata-source.js'
import { checkBeforeWrite, type InitOptions, initMetadataStore } from '../storage/schema/mlmd-env.js'
import { TypeKind } from '../storage/schema/v10.js'
import type { Tx } from '../storage/transaction-executor.js'
import { putExecution, putLineageSubgraph } from './composite-operations.js'
import {
  getLinkedContextsByContexts,
  putAttributionsAndAssociations,
  putEventsChecked,
  putParentContexts,
} from './edge-operations.js'
import { withRequestLimits } from './limits.js'
import { getLineageGraph, getLineageSubgraph } from './lineage-operations.js'
import { type Candidates, listNodeIds } from './list-operation.js'
import type { AsyncMetadataStore, MetadataStore } from './metadata-store-api.js'
import { getNodesByExternalIds, StoredNodes, upsertNode } from './node-operations.js'
import {
  checkAllFieldsMatch,
  getTypeByName,
  getTypes,
  getTypesByExternalIds,
  getTypesByIds,
  typeToMessage,
  upsertType,
} from './type-operations.js'

/** Options of {@link createMetadataStore}. */
export interface MetadataStoreOptions extends OpenOptions, InitOptions {}

/** An in-process store that owns its database connection. */
export interface OwnedMetadataStore extends MetadataStore {
  /** The file the store was opened on (`:memory:` for an in-memory store). */
  readonly filename: string
  /** Closes the database. Operations called afterwards fail with FAILED_PRECONDITION. */
  close(): void
}

/**
 * Opens (creating if needed) an MLMD store.
 * @throws FailedPrecondition if the file cannot be opened, or holds an unsupported schema version.
 * @throws Aborted if another process is creating the schema at the same moment (retry).
 */
export function createMetadataStore(options: MetadataStoreOptions): OwnedMetadataStore {
  // Every check that can refuse the file runs before the connection writes anything to it.
  const source = MetadataSource.open(options, (opened) => checkBeforeWrite(opened, options))
  try {
    initMetadataStore(source, options)
  } catch (error) {
    source.close()
    throw error
  }
  // Every operation checks the request's list sizes first (see limits.ts).
  return withRequestLimits(bindStore(source))
}

/** Runs every operation of an in-process store asynchronously (for code written against the client). */
export function toAsyncMetadataStore(store: MetadataStore): AsyncMetadataStore {
  const wrapped: Record<string, (request: unknown) => Promise<unknown>> = {}
  for (const name of Object.keys(store) as (keyof MetadataStore)[]) {
    const op = store[name] as unknown
    if (typeof op !== 'function') continue
    wrapped[name] = async (request) => (op as (r: unknown) => unknown).call(store, request)
  }
  return wrapped as unknown as AsyncMetadataStore
}

const list = <T>(values: readonly T[] | undefined | null): readonly T[] => values ?? []

function nodes<N extends Node>(tx: Tx, kind: NodeKind, ids: readonly bigint[]): N[] {
  return findNodesByIds<N>(tx, kind, ids)
}

// A listing: ids of a page (or all), then the nodes in that order.
function listed<N extends Node>(
  tx: Tx,
  kind: NodeKind,
  candidates: Candidates,
  options: m.ListOperationOptions | undefined,
): { nodes: N[]; nextPageToken?: string } {
  const page = listNodeIds(tx, kind, candidates, options)
  const byId = new Map(nodes<N>(tx, kind, page.ids).map((n) => [n.id as bigint, n]))
  const ordered = page.ids.flatMap((id) => {
    const node = byId.get(id)
    return node === undefined ? [] : [node]
  })
  return page.nextPageToken === undefined
    ? { nodes: ordered }
    : { nodes: ordered, nextPageToken: page.nextPageToken }
}

function withToken<R extends object>(response: R, token: string | undefined): R {
  return token === undefined ? response : { ...response, next_page_token: token }
}

// Nodes of the type named in a by-type request; an unknown type lists nothing.
function byTypeCandidates(
  tx: Tx,
  kind: NodeKind,
  name: string | undefined,
  version: string | undefined,
): Candidates {
  const type = findTypeByNameAndVersion(
    tx,
    kind.tables.typeKind,
    name ?? '',
    version === '' ? undefined : version,
  )
  return { kind: 'ids', ids: type === undefined ? [] : findNodeIdsByTypeId(tx, kind, type.id) }
}

// A by-type listing. MLMD answers a token field (empty on the last page) whenever options are
// given and the type has nodes.
function listByType<N extends Node>(
  tx: Tx,
  kind: NodeKind,
  request: { type_name?: string; type_version?: string; options?: m.ListOperationOptions },
): { nodes: N[]; nextPageToken?: string } {
  const candidates = byTypeCandidates(tx, kind, request.type_name, request.type_version)
  const page = listed<N>(tx, kind, candidates, request.options)
  const hasNodes = candidates.kind === 'ids' && candidates.ids.length > 0
  if (
    page.nextPageToken !== undefined ||
    request.options === undefined ||
    request.options === null ||
    !hasNodes
  ) {
    return page
  }
  return { nodes: page.nodes, nextPageToken: '' }
}

function byTypeAndName<N extends Node>(
  tx: Tx,
  kind: NodeKind,
  typeName: string | undefined,
  version: string | undefined,
  nodeName: string | undefined,
): N | undefined {
  const type = findTypeByNameAndVersion(
    tx,
    kind.tables.typeKind,
    typeName ?? '',
    version === '' ? undefined : version,
  )
  if (type === undefined) return undefined
  const id = findNodeIdByTypeIdAndName(tx, kind, type.id, nodeName ?? '')
  return id === undefined ? undefined : nodes<N>(tx, kind, [id])[0]
}

function contextsByContexts<K extends string>(
  tx: Tx,
  ids: readonly bigint[] | undefined,
  direction: 'parents' | 'children',
  field: K,
): Record<string, Record<K, m.Context[]>> {
  const result: Record<string, Record<K, m.Context[]>> = {}
  for (const [id, contexts] of getLinkedContextsByContexts(tx, ids, direction)) {
    result[id.toString()] = { [field]: contexts } as Record<K, m.Context[]>
  }
  return result
}

function bindStore(source: MetadataSource): OwnedMetadataStore {
  const read = <T>(body: (tx: Tx) => T): T => {
    if (!source.isOpen) throw new MlmdError(Code.FailedPrecondition, 'The metadata store is closed.')
    return source.execute('read', body)
  }
  const write = <T>(body: (tx: Tx) => T): T => {
    if (!source.isOpen) throw new MlmdError(Code.FailedPrecondition, 'The metadata store is closed.')
    return source.execute('write', body)
  }
  const evolution = (r: { can_add_fields?: boolean; can_omit_fields?: boolean }) => ({
    canAddFields: r.can_add_fields === true,
    canOmitFields: r.can_omit_fields === true,
  })

  const store: OwnedMetadataStore = {
    filename: source.filename,
    close: () => source.close(),

    putArtifactType: (r) =>
      write((tx) => {
        checkAllFieldsMatch(r.all_fields_match)
        return { type_id: upsertType(tx, TypeKind.ARTIFACT, r.artifact_type ?? {}, evolution(r)) }
      }),
    putExecutionType: (r) =>
      write((tx) => {
        checkAllFieldsMatch(r.all_fields_match)
        return { type_id: upsertType(tx, TypeKind.EXECUTION, r.execution_type ?? {}, evolution(r)) }
      }),
    putContextType: (r) =>
      write((tx) => {
        checkAllFieldsMatch(r.all_fields_match)
        return { type_id: upsertType(tx, TypeKind.CONTEXT, r.context_type ?? {}, evolution(r)) }
      }),
    putTypes: (r) =>
      write((tx) => {
        checkAllFieldsMatch(r.all_fields_match)
        const flags = evolution(r)
        return {
          artifact_type_ids: list(r.artifact_types).map((t) => upsertType(tx, TypeKind.ARTIFACT, t, flags)),
          execution_type_ids: list(r.execution_types).map((t) =>
            upsertType(tx, TypeKind.EXECUTION, t, flags),
          ),
          context_type_ids: list(r.context_types).map((t) => upsertType(tx, TypeKind.CONTEXT, t, flags)),
        }
      }),

    putArtifacts: (r) =>
      write((tx) => {
        const occ = r.options?.abort_if_latest_updated_time_changed === true
        const stored = new StoredNodes(tx, ARTIFACT, list(r.artifacts))
        const artifact_ids = list(r.artifacts).map((artifact) => {
          if (occ && artifact.id !== undefined && artifact.id !== null) {
            const current = stored.get(artifact.id)
            if (
              current !== undefined &&
              current.last_update_time_since_epoch !== artifact.last_update_time_since_epoch
            ) {
              throw new MlmdError(
                Code.FailedPrecondition,
                `\`abort_if_latest_updated_time_changed\` is set, and the stored artifact with id = ${artifact.id} has a different last_update_time_since_epoch: ${current.last_update_time_since_epoch} from the one in the given artifact: ${artifact.last_update_time_since_epoch ?? 'unset'}`,
              )
            }
          }
          return upsertNode(tx, ARTIFACT, artifact, { mask: r.update_mask, stored })
        })
        return { artifact_ids }
      }),
    putExecutions: (r) =>
      write((tx) => {
        const stored = new StoredNodes(tx, EXECUTION, list(r.executions))
        return {
          execution_ids: list(r.executions).map((e) =>
            upsertNode(tx, EXECUTION, e, { mask: r.update_mask, stored }),
          ),
        }
      }),
    putContexts: (r) =>
      write((tx) => {
        const stored = new StoredNodes(tx, CONTEXT, list(r.contexts))
        return {
          context_ids: list(r.contexts).map((c) =>
            upsertNode(tx, CONTEXT, c, { mask: r.update_mask, stored }),
          ),
        }
      }),
    putEvents: (r) =>
      write((tx) => {
        putEventsChecked(tx, list(r.events))
        return {}
      }),
    putExecution: (r) => write((tx) => putExecution(tx, r)),
    putLineageSubgraph: (r) => write((tx) => putLineageSubgraph(tx, r)),
    putAttributionsAndAssociations: (r) =>
      write((tx) => {
        putAttributionsAndAssociations(tx, list(r.attributions), list(r.associations))
        return {}
      }),
    putParentContexts: (r) =>
      write((tx) => {
        putParentContexts(tx, list(r.parent_contexts))
        return {}
      }),

    getArtifactType: (r) =>
      read((tx) => ({
        artifact_type: getTypeByName(tx, TypeKind.ARTIFACT, r.type_name, r.type_version) as m.ArtifactType,
      })),
    getArtifactTypesByID: (r) =>
      read((tx) => ({
        artifact_types: getTypesByIds(tx, TypeKind.ARTIFACT, r.type_ids) as m.ArtifactType[],
      })),
    getArtifactTypes: () =>
      read((tx) => ({ artifact_types: getTypes(tx, TypeKind.ARTIFACT) as m.ArtifactType[] })),
    getExecutionType: (r) =>
      read((tx) => ({
        execution_type: getTypeByName(tx, TypeKind.EXECUTION, r.type_name, r.type_version) as m.ExecutionType,
      })),
    getExecutionTypesByID: (r) =>
      read((tx) => ({
        execution_types: getTypesByIds(tx, TypeKind.EXECUTION, r.type_ids) as m.ExecutionType[],
      })),
    getExecutionTypes: () =>
      read((tx) => ({ execution_types: getTypes(tx, TypeKind.EXECUTION) as m.ExecutionType[] })),
    getContextType: (r) =>
      read((tx) => ({
        context_type: getTypeByName(tx, TypeKind.CONTEXT, r.type_name, r.type_version) as m.ContextType,
      })),
    getContextTypesByID: (r) =>
      read((tx) => ({ context_types: getTypesByIds(tx, TypeKind.CONTEXT, r.type_ids) as m.ContextType[] })),
    getContextTypes: () =>
      read((tx) => ({ context_types: getTypes(tx, TypeKind.CONTEXT) as m.ContextType[] })),
    getArtifactTypesByExternalIds: (r) =>
      read((tx) => ({
        artifact_types: getTypesByExternalIds(tx, TypeKind.ARTIFACT, r.external_ids) as m.ArtifactType[],
      })),
    getExecutionTypesByExternalIds: (r) =>
      read((tx) => ({
        execution_types: getTypesByExternalIds(tx, TypeKind.EXECUTION, r.external_ids) as m.ExecutionType[],
      })),
    getContextTypesByExternalIds: (r) =>
      read((tx) => ({
        context_types: getTypesByExternalIds(tx, TypeKind.CONTEXT, r.external_ids) as m.ContextType[],
      })),

    getArtifacts: (r) =>
      read((tx) => {
        const page = listed<m.Artifact>(tx, ARTIFACT, { kind: 'all' }, r.options)
        return withToken({ artifacts: page.nodes }, page.nextPageToken)
      }),
    getExecutions: (r) =>
      read((tx) => {
        const page = listed<m.Execution>(tx, EXECUTION, { kind: 'all' }, r.options)
        return withToken({ executions: page.nodes }, page.nextPageToken)
      }),
    getContexts: (r) =>
      read((tx) => {
        const page = listed<m.Context>(tx, CONTEXT, { kind: 'all' }, r.options)
        return withToken({ contexts: page.nodes }, page.nextPageToken)
      }),
    getArtifactsByID: (r) =>
      read((tx) => {
        const artifacts = nodes<m.Artifact>(tx, ARTIFACT, list(r.artifact_ids))
        if (r.populate_artifact_types !== true) return { artifacts, artifact_types: [] }
        // In the order each type's first artifact appears, as MLMD lists them.
        const typeIds = unique(artifacts.map((a) => a.type_id as bigint))
        const artifact_types = findTypesByIds(tx, TypeKind.ARTIFACT, typeIds).map(
          typeToMessage,
        ) as m.ArtifactType[]
        return { artifacts, artifact_types }
      }),
    getExecutionsByID: (r) =>
      read((tx) => ({ executions: nodes<m.Execution>(tx, EXECUTION, list(r.execution_ids)) })),
    getContextsByID: (r) => read((tx) => ({ contexts: nodes<m.Context>(tx, CONTEXT, list(r.context_ids)) })),
    getArtifactsByType: (r) =>
      read((tx) => {
        const page = listByType<m.Artifact>(tx, ARTIFACT, r)
        return withToken({ artifacts: page.nodes }, page.nextPageToken)
      }),
    getExecutionsByType: (r) =>
      read((tx) => {
        const page = listByType<m.Execution>(tx, EXECUTION, r)
        return withToken({ executions: page.nodes }, page.nextPageToken)
      }),
    getContextsByType: (r) =>
      read((tx) => {
        const page = listByType<m.Context>(tx, CONTEXT, r)
        return withToken({ contexts: page.nodes }, page.nextPageToken)
      }),
    getArtifactByTypeAndName: (r) =>
      read((tx) => {
        const artifact = byTypeAndName<m.Artifact>(tx, ARTIFACT, r.type_name, r.type_version, r.artifact_name)
        return artifact === undefined ? {} : { artifact }
      }),
    getExecutionByTypeAndName: (r) =>
      read((tx) => {
        const execution = byTypeAndName<m.Execution>(
          tx,
          EXECUTION,
          r.type_name,
          r.type_version,
          r.execution_name,
        )
        return execution === undefined ? {} : { execution }
      }),
    getContextByTypeAndName: (r) =>
      read((tx) => {
        const context = byTypeAndName<m.Context>(tx, CONTEXT, r.type_name, r.type_version, r.context_name)
        return context === undefined ? {} : { context }
      }),
    getArtifactsByURI: (r) =>
      read((tx) => ({
        artifacts: nodes<m.Artifact>(tx, ARTIFACT, findArtifactIdsByUris(tx, unique(list(r.uris)))),
      })),
    getEventsByExecutionIDs: (r) =>
      read((tx) => ({ events: findEventsByExecutionIds(tx, list(r.execution_ids)) })),
    getEventsByArtifactIDs: (r) =>
      read((tx) => ({ events: findEventsByArtifactIds(tx, list(r.artifact_ids)) })),
    getArtifactsByExternalIds: (r) =>
      read((tx) => ({ artifacts: getNodesByExternalIds<m.Artifact>(tx, ARTIFACT, r.external_ids) })),
    getExecutionsByExternalIds: (r) =>
      read((tx) => ({ executions: getNodesByExternalIds<m.Execution>(tx, EXECUTION, r.external_ids) })),
    getContextsByExternalIds: (r) =>
      read((tx) => ({ contexts: getNodesByExternalIds<m.Context>(tx, CONTEXT, r.external_ids) })),

    getContextsByArtifact: (r) =>
      read((tx) => {
        const contexts = nodes<m.Context>(tx, CONTEXT, findContextIdsByArtifact(tx, r.artifact_id ?? 0n))
        if (contexts.length === 0) throw notFound(`No contexts found for artifact_id: ${r.artifact_id ?? ''}`)
        return { contexts }
      }),
    getContextsByExecution: (r) =>
      read((tx) => {
        const contexts = nodes<m.Context>(tx, CONTEXT, findContextIdsByExecution(tx, r.execution_id ?? 0n))
        if (contexts.length === 0)
          throw notFound(`No contexts found for execution_id: ${r.execution_id ?? ''}`)
        return { contexts }
      }),
    getParentContextsByContext: (r) =>
      read((tx) => ({
        contexts:
          getLinkedContextsByContexts(tx, [r.context_id ?? 0n], 'parents').get(r.context_id ?? 0n) ?? [],
      })),
    getChildrenContextsByContext: (r) =>
      read((tx) => ({
        contexts:
          getLinkedContextsByContexts(tx, [r.context_id ?? 0n], 'children').get(r.context_id ?? 0n) ?? [],
      })),
    getParentContextsByContexts: (r) =>
      read((tx) => ({ contexts: contextsByContexts(tx, r.context_ids, 'parents', 'parent_contexts') })),
    getChildrenContextsByContexts: (r) =>
      read((tx) => ({ contexts: contextsByContexts(tx, r.context_ids, 'children', 'children_contexts') })),
    getArtifactsByContext: (r) =>
      read((tx) => {
        const candidates: Candidates = { kind: 'ids', ids: findArtifactIdsByContext(tx, r.context_id ?? 0n) }
        const page = listed<m.Artifact>(tx, ARTIFACT, candidates, r.options)
        return withToken({ artifacts: page.nodes }, page.nextPageToken)
      }),
    getExecutionsByContext: (r) =>
      read((tx) => {
        const candidates: Candidates = { kind: 'ids', ids: findExecutionIdsByContext(tx, r.context_id ?? 0n) }
        const page = listed<m.Execution>(tx, EXECUTION, candidates, r.options)
        return withToken({ executions: page.nodes }, page.nextPageToken)
      }),

    getLineageGraph: (r) => read((tx) => getLineageGraph(tx, r)),
    getLineageSubgraph: (r) => read((tx) => getLineageSubgraph(tx, r)),
  }
  return store
}
