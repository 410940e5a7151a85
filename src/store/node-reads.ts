/**
 * The reads of artifacts, executions and contexts: by id, type, name, uri, external id and
 * context, and the listings with `ListOperationOptions`.
 */
import { findContextIdsByArtifact, findContextIdsByExecution } from '../access/edge-access.js'
import {
  ARTIFACT,
  CONTEXT,
  EXECUTION,
  findArtifactIdsByUris,
  findNodeIdByTypeIdAndName,
  findNodesByIds,
  type Node,
  type NodeKind,
} from '../access/node-access.js'
import { unique } from '../access/query-builder.js'
import { findTypeByNameAndVersion, findTypesByIds } from '../access/type-access.js'
import { notFound } from '../errors.js'
import type * as m from '../proto/messages.js'
import { TypeKind } from '../storage/schema/v10.js'
import type { Op, Tx } from '../storage/transaction-executor.js'
import { ALL_NODES, type Candidates, hasCandidates, listNodeIds, listNodePage } from './list-operation.js'
import { getNodesByExternalIds } from './node-operations.js'
import { list, type Operations } from './operation.js'
import { readNodesFitting, readPageFitting } from './response-size.js'
import { typeToMessage } from './type-operations.js'

/** A listing's nodes in page order, and the token for the next page when there is one. */
interface NodePage<N extends Node> {
  readonly nodes: N[]
  readonly nextPageToken?: string
}

// A listing: ids of a page (or all), then the nodes in that order.
function* listed<N extends Node>(
  tx: Tx,
  kind: NodeKind,
  candidates: Candidates,
  options: m.ListOperationOptions | undefined,
): Op<NodePage<N>> {
  if (options === undefined || options === null) {
    // A listing without options cannot be cut: it is refused when it does not fit.
    const { ids } = yield* listNodeIds(tx, kind, candidates, options)
    return { nodes: yield* readNodesFitting<N>(tx, kind, ids, true) }
  }
  // A page of large nodes ends early, where the response would pass its size cap; its token
  // continues after the last node served, as any page's does.
  const page = yield* listNodePage(tx, kind, candidates, options)
  const nodes = yield* readPageFitting<N>(tx, kind, page.ids)
  const token = page.tokenAfter(nodes.length)
  return token === undefined ? { nodes } : { nodes, nextPageToken: token }
}

function withToken<R extends object>(response: R, token: string | undefined): R {
  return token === undefined ? response : { ...response, next_page_token: token }
}

/**
 * A by-type listing. An unknown type lists nothing. MLMD answers a token field (empty on the
 * last page) whenever options are given and the type has nodes.
 */
function* listByType<N extends Node>(
  tx: Tx,
  kind: NodeKind,
  request: { type_name?: string; type_version?: string; options?: m.ListOperationOptions },
): Op<NodePage<N>> {
  const version = request.type_version === '' ? undefined : request.type_version
  const type = yield* findTypeByNameAndVersion(tx, kind.tables.typeKind, request.type_name ?? '', version)
  if (type === undefined) return { nodes: [] }
  const candidates: Candidates = { kind: 'type', typeId: type.id }
  const page = yield* listed<N>(tx, kind, candidates, request.options)
  if (page.nextPageToken !== undefined || request.options === undefined || request.options === null) {
    return page
  }
  if (page.nodes.length === 0 && !(yield* hasCandidates(tx, kind, candidates))) return page
  return { nodes: page.nodes, nextPageToken: '' }
}

function* byTypeAndName<N extends Node>(
  tx: Tx,
  kind: NodeKind,
  typeName: string | undefined,
  version: string | undefined,
  nodeName: string | undefined,
): Op<N | undefined> {
  const type = yield* findTypeByNameAndVersion(
    tx,
    kind.tables.typeKind,
    typeName ?? '',
    version === '' ? undefined : version,
  )
  if (type === undefined) return undefined
  const id = yield* findNodeIdByTypeIdAndName(tx, kind, type.id, nodeName ?? '')
  return id === undefined ? undefined : (yield* findNodesByIds<N>(tx, kind, [id]))[0]
}

const ofContext = (contextId: bigint | undefined): Candidates => ({
  kind: 'context',
  contextId: contextId ?? 0n,
})

type NodeReadName =
  | 'getArtifacts'
  | 'getExecutions'
  | 'getContexts'
  | 'getArtifactsByID'
  | 'getExecutionsByID'
  | 'getContextsByID'
  | 'getArtifactsByType'
  | 'getExecutionsByType'
  | 'getContextsByType'
  | 'getArtifactByTypeAndName'
  | 'getExecutionByTypeAndName'
  | 'getContextByTypeAndName'
  | 'getArtifactsByURI'
  | 'getArtifactsByExternalIds'
  | 'getExecutionsByExternalIds'
  | 'getContextsByExternalIds'
  | 'getContextsByArtifact'
  | 'getContextsByExecution'
  | 'getArtifactsByContext'
  | 'getExecutionsByContext'

/** The node reads of the operation table. */
export const NODE_READ_OPERATIONS: Operations<NodeReadName> = {
  getArtifacts: {
    mode: 'read',
    *body(tx, r) {
      const page = yield* listed<m.Artifact>(tx, ARTIFACT, ALL_NODES, r.options)
      return withToken({ artifacts: page.nodes }, page.nextPageToken)
    },
  },
  getExecutions: {
    mode: 'read',
    *body(tx, r) {
      const page = yield* listed<m.Execution>(tx, EXECUTION, ALL_NODES, r.options)
      return withToken({ executions: page.nodes }, page.nextPageToken)
    },
  },
  getContexts: {
    mode: 'read',
    *body(tx, r) {
      const page = yield* listed<m.Context>(tx, CONTEXT, ALL_NODES, r.options)
      return withToken({ contexts: page.nodes }, page.nextPageToken)
    },
  },
  getArtifactsByID: {
    mode: 'read',
    *body(tx, r) {
      const ids = list(r.artifact_ids)
      const artifacts = yield* readNodesFitting<m.Artifact>(tx, ARTIFACT, ids, false)
      if (r.populate_artifact_types !== true) return { artifacts, artifact_types: [] }
      // In the order each type's first artifact appears, as MLMD lists them.
      const typeIds = unique(artifacts.map((a) => a.type_id as bigint))
      const types = yield* findTypesByIds(tx, TypeKind.ARTIFACT, typeIds)
      return { artifacts, artifact_types: types.map(typeToMessage) as m.ArtifactType[] }
    },
  },
  getExecutionsByID: {
    mode: 'read',
    *body(tx, r) {
      const ids = list(r.execution_ids)
      return { executions: yield* readNodesFitting<m.Execution>(tx, EXECUTION, ids, false) }
    },
  },
  getContextsByID: {
    mode: 'read',
    *body(tx, r) {
      const ids = list(r.context_ids)
      return { contexts: yield* readNodesFitting<m.Context>(tx, CONTEXT, ids, false) }
    },
  },
  getArtifactsByType: {
    mode: 'read',
    *body(tx, r) {
      const page = yield* listByType<m.Artifact>(tx, ARTIFACT, r)
      return withToken({ artifacts: page.nodes }, page.nextPageToken)
    },
  },
  getExecutionsByType: {
    mode: 'read',
    *body(tx, r) {
      const page = yield* listByType<m.Execution>(tx, EXECUTION, r)
      return withToken({ executions: page.nodes }, page.nextPageToken)
    },
  },
  getContextsByType: {
    mode: 'read',
    *body(tx, r) {
      const page = yield* listByType<m.Context>(tx, CONTEXT, r)
      return withToken({ contexts: page.nodes }, page.nextPageToken)
    },
  },
  getArtifactByTypeAndName: {
    mode: 'read',
    *body(tx, r) {
      const artifact = yield* byTypeAndName<m.Artifact>(
        tx,
        ARTIFACT,
        r.type_name,
        r.type_version,
        r.artifact_name,
      )
      return artifact === undefined ? {} : { artifact }
    },
  },
  getExecutionByTypeAndName: {
    mode: 'read',
    *body(tx, r) {
      const execution = yield* byTypeAndName<m.Execution>(
        tx,
        EXECUTION,
        r.type_name,
        r.type_version,
        r.execution_name,
      )
      return execution === undefined ? {} : { execution }
    },
  },
  getContextByTypeAndName: {
    mode: 'read',
    *body(tx, r) {
      const context = yield* byTypeAndName<m.Context>(
        tx,
        CONTEXT,
        r.type_name,
        r.type_version,
        r.context_name,
      )
      return context === undefined ? {} : { context }
    },
  },
  getArtifactsByURI: {
    mode: 'read',
    *body(tx, r) {
      const ids = yield* findArtifactIdsByUris(tx, unique(list(r.uris)))
      return { artifacts: yield* readNodesFitting<m.Artifact>(tx, ARTIFACT, ids, false) }
    },
  },
  getArtifactsByExternalIds: {
    mode: 'read',
    *body(tx, r) {
      return { artifacts: yield* getNodesByExternalIds<m.Artifact>(tx, ARTIFACT, r.external_ids) }
    },
  },
  getExecutionsByExternalIds: {
    mode: 'read',
    *body(tx, r) {
      return { executions: yield* getNodesByExternalIds<m.Execution>(tx, EXECUTION, r.external_ids) }
    },
  },
  getContextsByExternalIds: {
    mode: 'read',
    *body(tx, r) {
      return { contexts: yield* getNodesByExternalIds<m.Context>(tx, CONTEXT, r.external_ids) }
    },
  },
  getContextsByArtifact: {
    mode: 'read',
    *body(tx, r) {
      const ids = yield* findContextIdsByArtifact(tx, r.artifact_id ?? 0n)
      const contexts = yield* findNodesByIds<m.Context>(tx, CONTEXT, ids)
      if (contexts.length === 0) throw notFound(`No contexts found for artifact_id: ${r.artifact_id ?? ''}`)
      return { contexts }
    },
  },
  getContextsByExecution: {
    mode: 'read',
    *body(tx, r) {
      const ids = yield* findContextIdsByExecution(tx, r.execution_id ?? 0n)
      const contexts = yield* findNodesByIds<m.Context>(tx, CONTEXT, ids)
      if (contexts.length === 0) throw notFound(`No contexts found for execution_id: ${r.execution_id ?? ''}`)
      return { contexts }
    },
  },
  getArtifactsByContext: {
    mode: 'read',
    *body(tx, r) {
      const page = yield* listed<m.Artifact>(tx, ARTIFACT, ofContext(r.context_id), r.options)
      return withToken({ artifacts: page.nodes }, page.nextPageToken)
    },
  },
  getExecutionsByContext: {
    mode: 'read',
    *body(tx, r) {
      const page = yield* listed<m.Execution>(tx, EXECUTION, ofContext(r.context_id), r.options)
      return withToken({ executions: page.nodes }, page.nextPageToken)
    },
  },
}
