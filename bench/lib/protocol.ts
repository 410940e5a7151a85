/**
 * What the orchestrator (bench/run.ts) and the drivers (bench/drivers/*) say to each other:
 * one JSON object per line on the driver's stdin, one answer per line on its stdout.
 *
 * Requests travel as MLMD request messages in their JSON form with proto field names
 * (snake_case), int64 values as JSON numbers and enums as numbers, so that the Python driver
 * parses them with `json_format.ParseDict` and the TS driver revives the int64 fields as bigint.
 */

/** The four things compared. */
export type TargetKind = 'ts' | 'grpc' | 'mlmd' | 'floor'

export const TARGETS: readonly TargetKind[] = ['ts', 'grpc', 'mlmd', 'floor']

export const TARGET_LABELS: Record<TargetKind, string> = {
  ts: 'mlmd-ts in-process',
  grpc: 'mlmd-ts gRPC (Python client)',
  mlmd: 'MLMD 1.16 in-process (Python client)',
  floor: 'bare better-sqlite3 floor',
}

/** Hand-written SQL for the floor where a request has no fixed shape (filtered listings). */
export interface FloorHint {
  readonly sql: string
  readonly params: readonly (string | number)[]
}

/** One operation: the request, and what the floor needs beyond it. */
export interface WorkItem {
  readonly req: Record<string, unknown>
  readonly floor?: FloorHint
}

/** How a target opens a store. */
export interface OpenSpec {
  readonly kind: TargetKind
  /** SQLite file (ts, floor, mlmd). */
  readonly db?: string
  /** Server port (grpc). */
  readonly port?: number
  /**
   * A database on a server engine instead of a file: `ts` opens `url` (postgres://… or
   * mysql://…) with openMetadataStore; `mlmd` opens the same database with MLMD's
   * ConnectionConfig.postgresql / .mysql from the other fields.
   */
  readonly server?: {
    readonly engine: 'postgresql' | 'mysql'
    readonly url: string
    readonly host: string
    readonly port: number
    readonly user: string
    readonly password: string
    readonly database: string
  }
}

export type Command =
  | { seq: number; cmd: 'open'; handle: string; spec: OpenSpec }
  | {
      seq: number
      cmd: 'run'
      handle: string
      /** The RPC name, e.g. `PutArtifacts`. */
      op: string
      items: WorkItem[]
      /** Stop starting new operations after this many milliseconds (contention runs). */
      deadlineMs?: number
      /** Start over at the first item until the deadline (Python driver; timed read loops). */
      cycle?: boolean
      /** Retry ABORTED until the operation succeeds (contention runs). */
      retryAborted?: boolean
      /**
       * Python targets call the client's public method rather than the one RPC (lineage: the
       * client's get_lineage_subgraph sends GetLineageSubgraph, then hydrates the id-only nodes).
       */
      pyPublic?: boolean
    }
  | { seq: number; cmd: 'build'; handle: string; spec: import('./scale.js').BuildStep }
  | { seq: number; cmd: 'close'; handle: string }
  | { seq: number; cmd: 'mem' }
  | { seq: number; cmd: 'exit' }

/** The answer to `run`. */
export interface RunResult {
  /** Per-operation latency in microseconds, in the order run. */
  readonly lat_us: number[]
  /** Error codes seen (gRPC code names), and how often; successful operations are not counted. */
  readonly codes: Record<string, number>
  /** ABORTED answers that were retried. */
  readonly aborted: number
  /** Wall-clock start and end of the batch, in milliseconds since the epoch. */
  readonly start_ms: number
  readonly end_ms: number
}

export interface MemResult {
  /** Peak resident set (VmHWM) and current resident set (VmRSS), in KiB. */
  readonly hwm_kb: number
  readonly rss_kb: number
}

export type Reply =
  | { seq: number; ok: true; result?: unknown }
  | { seq: number; ok: false; error: string }
  | { progress: string }

const INT64_FIELDS = new Set([
  'id',
  'type_id',
  'artifact_id',
  'execution_id',
  'context_id',
  'parent_id',
  'child_id',
  'int_value',
  'index',
  'create_time_since_epoch',
  'last_update_time_since_epoch',
  'milliseconds_since_epoch',
  'max_num_hops',
  'max_node_size',
])
const INT64_LIST_FIELDS = new Set([
  'type_ids',
  'artifact_ids',
  'execution_ids',
  'context_ids',
  'artifact_type_ids',
  'execution_type_ids',
  'context_type_ids',
])

/** `JSON.parse` reviver that turns the int64 fields of MLMD messages into bigint. */
export function reviveInt64(key: string, value: unknown): unknown {
  if (typeof value === 'number' && INT64_FIELDS.has(key)) return BigInt(value)
  if (Array.isArray(value) && INT64_LIST_FIELDS.has(key)) {
    return value.map((v) => (typeof v === 'number' ? BigInt(v) : v))
  }
  return value
}

/** `JSON.stringify` replacer that writes bigint as a JSON number (ids here stay below 2^53). */
export function bigintToNumber(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value
}
