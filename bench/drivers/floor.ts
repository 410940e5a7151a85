/**
 * The floor: each request answered with the fewest plain prepared statements that write or read
 * the same rows of MLMD's schema, and nothing else: no validation, no type checks, no message
 * building (reads return the raw rows), no paging tokens. What remains between the floor and a
 * store is the store's own work.
 *
 * The connection is set up as mlmd-ts sets up its own (WAL, synchronous=FULL, a busy timeout,
 * int64 as bigint); writes run in BEGIN IMMEDIATE transactions, multi-statement reads in
 * deferred ones.
 */
import Database from 'better-sqlite3'

type Row = Record<string, unknown>
type Req = Record<string, unknown>
type Value = { int_value?: bigint; double_value?: number; string_value?: string; bool_value?: boolean }
type Params = readonly unknown[]

interface Kind {
  readonly table: string
  readonly fk: string
  readonly typeKind: number
  /** The columns besides type_id, name and the times, in request field names. */
  readonly columns: readonly string[]
}

const ARTIFACT: Kind = { table: 'Artifact', fk: 'artifact_id', typeKind: 1, columns: ['uri', 'state'] }
const EXECUTION: Kind = { table: 'Execution', fk: 'execution_id', typeKind: 0, columns: ['last_known_state'] }
const CONTEXT: Kind = { table: 'Context', fk: 'context_id', typeKind: 2, columns: [] }

const slots = (n: number) => `(${n === 0 ? 'NULL' : '?,'.repeat(n - 1)}${n === 0 ? '' : '?'})`

export class Floor {
  private readonly db: Database.Database
  private readonly statements = new Map<string, Database.Statement>()

  constructor(file: string) {
    this.db = new Database(file, { timeout: 5000 })
    this.db.defaultSafeIntegers(true)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
  }

  close(): void {
    this.db.close()
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      this.statements.set(sql, s)
    }
    return s
  }

  private all(sql: string, params: Params = []): Row[] {
    return this.stmt(sql).all(...params) as Row[]
  }

  private get(sql: string, params: Params = []): Row | undefined {
    return this.stmt(sql).get(...params) as Row | undefined
  }

  private run(sql: string, params: Params = []): Database.RunResult {
    return this.stmt(sql).run(...params)
  }

  private transaction<T>(begin: string, body: () => T): T {
    if (this.db.inTransaction) return body()
    this.stmt(begin).run()
    try {
      const result = body()
      this.stmt('COMMIT').run()
      return result
    } catch (error) {
      if (this.db.inTransaction) this.stmt('ROLLBACK').run()
      throw error
    }
  }

  private write<T>(body: () => T): T {
    return this.transaction('BEGIN IMMEDIATE', body)
  }

  private read<T>(body: () => T): T {
    return this.transaction('BEGIN', body)
  }

  // -- writes ---------------------------------------------------------------------------------

  private putType(typeKind: number, type: Req): bigint {
    const name = type.name as string
    const properties = (type.properties ?? {}) as Record<string, number>
    const found = this.get('SELECT id FROM Type WHERE name = ? AND type_kind = ? AND version IS NULL', [
      name,
      typeKind,
    ])
    let id: bigint
    if (found) {
      id = found.id as bigint
      for (const [p, t] of Object.entries(properties)) {
        this.run('INSERT OR IGNORE INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, ?)', [id, p, t])
      }
    } else {
      id = this.run('INSERT INTO Type (name, type_kind) VALUES (?, ?)', [name, typeKind])
        .lastInsertRowid as bigint
      for (const [p, t] of Object.entries(properties)) {
        this.run('INSERT INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, ?)', [id, p, t])
      }
    }
    return id
  }

  private insertProperties(kind: Kind, id: bigint, node: Req): void {
    const sql = `INSERT INTO ${kind.table}Property (${kind.fk}, name, is_custom_property, int_value, double_value, string_value) VALUES (?, ?, ?, ?, ?, ?)`
    for (const [field, custom] of [
      ['properties', 0],
      ['custom_properties', 1],
    ] as const) {
      for (const [name, v] of Object.entries((node[field] ?? {}) as Record<string, Value>)) {
        this.run(sql, [id, name, custom, v.int_value ?? null, v.double_value ?? null, v.string_value ?? null])
      }
    }
  }

  private putNode(kind: Kind, node: Req, now: number): bigint {
    const extra = kind.columns.map((c) => node[c] ?? null)
    if (node.id !== undefined) {
      const id = node.id as bigint
      const sets = ['name = ?', ...kind.columns.map((c) => `${c} = ?`), 'last_update_time_since_epoch = ?']
      this.run(`UPDATE ${kind.table} SET ${sets.join(', ')} WHERE id = ?`, [
        node.name ?? null,
        ...extra,
        now,
        id,
      ])
      this.run(`DELETE FROM ${kind.table}Property WHERE ${kind.fk} = ?`, [id])
      this.insertProperties(kind, id, node)
      return id
    }
    const columns = [
      'type_id',
      'name',
      ...kind.columns,
      'create_time_since_epoch',
      'last_update_time_since_epoch',
    ]
    const id = this.run(`INSERT INTO ${kind.table} (${columns.join(', ')}) VALUES ${slots(columns.length)}`, [
      node.type_id,
      node.name ?? null,
      ...extra,
      now,
      now,
    ]).lastInsertRowid as bigint
    this.insertProperties(kind, id, node)
    return id
  }

  private putNodes(kind: Kind, nodes: Req[]): bigint[] {
    return this.write(() => {
      const now = Date.now()
      return nodes.map((n) => this.putNode(kind, n, now))
    })
  }

  private insertEvent(event: Req, artifactId: unknown, executionId: unknown, now: number): void {
    const id = this.run(
      'INSERT INTO Event (artifact_id, execution_id, type, milliseconds_since_epoch) VALUES (?, ?, ?, ?)',
      [artifactId, executionId, event.type, event.milliseconds_since_epoch ?? now],
    ).lastInsertRowid
    const steps = ((event.path as Req | undefined)?.steps ?? []) as Req[]
    for (const step of steps) {
      if (step.key !== undefined) {
        this.run('INSERT INTO EventPath (event_id, is_index_step, step_key) VALUES (?, 0, ?)', [id, step.key])
      } else {
        this.run('INSERT INTO EventPath (event_id, is_index_step, step_index) VALUES (?, 1, ?)', [
          id,
          step.index,
        ])
      }
    }
  }

  private putExecution(req: Req): unknown {
    return this.write(() => {
      const now = Date.now()
      const executionId = this.putNode(EXECUTION, req.execution as Req, now)
      const artifactIds: unknown[] = []
      for (const pair of (req.artifact_event_pairs ?? []) as Req[]) {
        const event = pair.event as Req | undefined
        const artifactId = pair.artifact
          ? this.putNode(ARTIFACT, pair.artifact as Req, now)
          : event?.artifact_id
        artifactIds.push(artifactId)
        if (event) this.insertEvent(event, artifactId, executionId, now)
      }
      const contextIds: bigint[] = []
      for (const context of (req.contexts ?? []) as Req[]) {
        const found =
          context.id === undefined
            ? this.get('SELECT id FROM Context WHERE type_id = ? AND name = ?', [
                context.type_id,
                context.name,
              ])
            : { id: context.id }
        contextIds.push(found ? (found.id as bigint) : this.putNode(CONTEXT, context, now))
      }
      for (const c of contextIds) {
        this.run('INSERT OR IGNORE INTO Association (context_id, execution_id) VALUES (?, ?)', [
          c,
          executionId,
        ])
        for (const a of artifactIds) {
          this.run('INSERT OR IGNORE INTO Attribution (context_id, artifact_id) VALUES (?, ?)', [c, a])
        }
      }
      return { executionId, artifactIds, contextIds }
    })
  }

  // -- reads ----------------------------------------------------------------------------------

  private typesWhere(where: string, params: Params): Row[][] {
    return this.read(() => [
      this.all(`SELECT * FROM Type WHERE ${where}`, params),
      this.all(`SELECT tp.* FROM TypeProperty tp JOIN Type ON Type.id = tp.type_id WHERE ${where}`, params),
    ])
  }

  private nodesByIds(kind: Kind, ids: readonly unknown[]): Row[][] {
    if (ids.length === 0) return [[], []]
    const list = slots(ids.length)
    return [
      this.all(
        `SELECT n.*, t.name AS type FROM ${kind.table} n JOIN Type t ON t.id = n.type_id WHERE n.id IN ${list}`,
        ids,
      ),
      this.all(`SELECT * FROM ${kind.table}Property WHERE ${kind.fk} IN ${list}`, ids),
    ]
  }

  private nodesWhere(kind: Kind, where: string, params: Params): Row[][] {
    return this.read(() => [
      this.all(
        `SELECT n.*, t.name AS type FROM ${kind.table} n JOIN Type t ON t.id = n.type_id WHERE ${where}`,
        params,
      ),
      this.all(
        `SELECT p.* FROM ${kind.table}Property p JOIN ${kind.table} n ON n.id = p.${kind.fk} WHERE ${where}`,
        params,
      ),
    ])
  }

  private typeId(name: unknown, typeKind: number): bigint | undefined {
    return this.get('SELECT id FROM Type WHERE name = ? AND type_kind = ? AND version IS NULL', [
      name,
      typeKind,
    ])?.id as bigint | undefined
  }

  // A page of a type's nodes (newest first), or all of them.
  private byType(kind: Kind, req: Req): Row[][] {
    return this.read(() => {
      const id = this.typeId(req.type_name, kind.typeKind)
      if (id === undefined) return [[], []]
      const options = req.options as Req | undefined
      if (!options) return this.nodesWhere(kind, 'n.type_id = ?', [id])
      const ids = this.all(
        `SELECT n.id FROM ${kind.table} n WHERE n.type_id = ? ORDER BY n.create_time_since_epoch DESC, n.id DESC LIMIT ?`,
        [id, Number(options.max_result_size ?? 20) + 1],
      )
      return this.nodesByIds(
        kind,
        ids.map((r) => r.id),
      )
    })
  }

  private byTypeAndName(kind: Kind, req: Req, nameField: string): Row[][] {
    return this.read(() => {
      const id = this.typeId(req.type_name, kind.typeKind)
      return id === undefined
        ? [[], []]
        : this.nodesWhere(kind, 'n.type_id = ? AND n.name = ?', [id, req[nameField]])
    })
  }

  // A page of a context's nodes (newest first), or all of them by id.
  private byContext(kind: Kind, link: string, req: Req): Row[][] {
    return this.read(() => {
      const options = req.options as Req | undefined
      const sql = `SELECT n.id FROM ${link} l JOIN ${kind.table} n ON n.id = l.${kind.fk} WHERE l.context_id = ?`
      const ids = options
        ? this.all(`${sql} ORDER BY n.create_time_since_epoch DESC, n.id DESC LIMIT ?`, [
            req.context_id,
            Number(options.max_result_size ?? 20) + 1,
          ])
        : this.all(`${sql} ORDER BY n.id`, [req.context_id])
      return this.nodesByIds(
        kind,
        ids.map((r) => r.id),
      )
    })
  }

  private contextsOf(link: string, fk: string, id: unknown): Row[][] {
    return this.nodesWhere(CONTEXT, `n.id IN (SELECT context_id FROM ${link} WHERE ${fk} = ?)`, [id])
  }

  private events(column: string, ids: readonly unknown[]): Row[][] {
    if (ids.length === 0) return [[], []]
    return this.read(() => {
      const events = this.all(`SELECT * FROM Event WHERE ${column} IN ${slots(ids.length)}`, ids)
      const eventIds = events.map((e) => e.id)
      const paths = eventIds.length
        ? this.all(`SELECT * FROM EventPath WHERE event_id IN ${slots(eventIds.length)}`, eventIds)
        : []
      return [events, paths]
    })
  }

  // Breadth-first over events, one statement per hop, then the nodes, contexts and types.
  private lineage(req: Req, hint: { sql: string; params: readonly unknown[] }): unknown {
    return this.read(() => {
      const options = req.lineage_subgraph_query_options as Req
      const hops = Number(options.max_num_hops ?? 100)
      const artifacts = new Set<bigint>(this.all(hint.sql, hint.params).map((r) => r.id as bigint))
      const executions = new Set<bigint>()
      const events = new Map<bigint, Row>()
      let frontier = [...artifacts]
      let fromArtifacts = true
      for (let hop = 0; hop < hops && frontier.length > 0; hop++) {
        const rows = this.all(
          `SELECT * FROM Event WHERE ${fromArtifacts ? 'artifact_id' : 'execution_id'} IN ${slots(frontier.length)}`,
          frontier,
        )
        const next: bigint[] = []
        const seen = fromArtifacts ? executions : artifacts
        for (const e of rows) {
          events.set(e.id as bigint, e)
          const other = (fromArtifacts ? e.execution_id : e.artifact_id) as bigint
          if (!seen.has(other)) {
            seen.add(other)
            next.push(other)
          }
        }
        frontier = next
        fromArtifacts = !fromArtifacts
      }
      const a = [...artifacts]
      const x = [...executions]
      const eventIds = [...events.keys()]
      const [artifactRows, artifactProps] = this.nodesByIds(ARTIFACT, a)
      const [executionRows, executionProps] = this.nodesByIds(EXECUTION, x)
      const contextIds = [
        ...new Set([
          ...(a.length
            ? this.all(`SELECT context_id FROM Attribution WHERE artifact_id IN ${slots(a.length)}`, a)
            : []
          ).map((r) => r.context_id as bigint),
          ...(x.length
            ? this.all(`SELECT context_id FROM Association WHERE execution_id IN ${slots(x.length)}`, x)
            : []
          ).map((r) => r.context_id as bigint),
        ]),
      ]
      const [contextRows, contextProps] = this.nodesByIds(CONTEXT, contextIds)
      const typeIds = [
        ...new Set(
          [...(artifactRows ?? []), ...(executionRows ?? []), ...(contextRows ?? [])].map((r) => r.type_id),
        ),
      ]
      const types = typeIds.length
        ? this.all(`SELECT * FROM Type WHERE id IN ${slots(typeIds.length)}`, typeIds)
        : []
      const typeProps = typeIds.length
        ? this.all(`SELECT * FROM TypeProperty WHERE type_id IN ${slots(typeIds.length)}`, typeIds)
        : []
      const paths = eventIds.length
        ? this.all(`SELECT * FROM EventPath WHERE event_id IN ${slots(eventIds.length)}`, eventIds)
        : []
      return [
        artifactRows,
        artifactProps,
        executionRows,
        executionProps,
        contextRows,
        contextProps,
        types,
        typeProps,
        paths,
      ]
    })
  }

  /** Answers one request of RPC `op`; the result is whatever rows were read or ids written. */
  call(op: string, req: Req, hint?: { sql: string; params: readonly unknown[] }): unknown {
    switch (op) {
      case 'PutArtifactType':
        return this.write(() => this.putType(1, req.artifact_type as Req))
      case 'PutExecutionType':
        return this.write(() => this.putType(0, req.execution_type as Req))
      case 'PutContextType':
        return this.write(() => this.putType(2, req.context_type as Req))
      case 'PutArtifacts':
        return this.putNodes(ARTIFACT, req.artifacts as Req[])
      case 'PutExecutions':
        return this.putNodes(EXECUTION, req.executions as Req[])
      case 'PutContexts':
        return this.putNodes(CONTEXT, req.contexts as Req[])
      case 'PutAttributionsAndAssociations':
        return this.write(() => {
          for (const a of (req.attributions ?? []) as Req[]) {
            this.run('INSERT OR IGNORE INTO Attribution (context_id, artifact_id) VALUES (?, ?)', [
              a.context_id,
              a.artifact_id,
            ])
          }
          for (const a of (req.associations ?? []) as Req[]) {
            this.run('INSERT OR IGNORE INTO Association (context_id, execution_id) VALUES (?, ?)', [
              a.context_id,
              a.execution_id,
            ])
          }
        })
      case 'PutEvents':
        return this.write(() => {
          const now = Date.now()
          for (const e of req.events as Req[]) this.insertEvent(e, e.artifact_id, e.execution_id, now)
        })
      case 'PutExecution':
        return this.putExecution(req)
      case 'GetArtifactTypes':
        return this.typesWhere('Type.type_kind = 1', [])
      case 'GetExecutionTypes':
        return this.typesWhere('Type.type_kind = 0', [])
      case 'GetContextTypes':
        return this.typesWhere('Type.type_kind = 2', [])
      case 'GetArtifactTypesByID':
      case 'GetExecutionTypesByID':
      case 'GetContextTypesByID': {
        const ids = req.type_ids as bigint[]
        return this.typesWhere(`Type.id IN ${slots(ids.length)}`, ids)
      }
      case 'GetArtifactType':
        return this.typesWhere('Type.name = ? AND Type.type_kind = 1 AND Type.version IS NULL', [
          req.type_name,
        ])
      case 'GetExecutionType':
        return this.typesWhere('Type.name = ? AND Type.type_kind = 0 AND Type.version IS NULL', [
          req.type_name,
        ])
      case 'GetContextType':
        return this.typesWhere('Type.name = ? AND Type.type_kind = 2 AND Type.version IS NULL', [
          req.type_name,
        ])
      case 'GetArtifactsByID':
        return this.read(() => this.nodesByIds(ARTIFACT, req.artifact_ids as bigint[]))
      case 'GetExecutionsByID':
        return this.read(() => this.nodesByIds(EXECUTION, req.execution_ids as bigint[]))
      case 'GetContextsByID':
        return this.read(() => this.nodesByIds(CONTEXT, req.context_ids as bigint[]))
      case 'GetArtifactsByType':
        return this.byType(ARTIFACT, req)
      case 'GetExecutionsByType':
        return this.byType(EXECUTION, req)
      case 'GetContextsByType':
        return this.byType(CONTEXT, req)
      case 'GetArtifactByTypeAndName':
        return this.byTypeAndName(ARTIFACT, req, 'artifact_name')
      case 'GetExecutionByTypeAndName':
        return this.byTypeAndName(EXECUTION, req, 'execution_name')
      case 'GetContextByTypeAndName':
        return this.byTypeAndName(CONTEXT, req, 'context_name')
      case 'GetArtifactsByURI': {
        const uris = req.uris as string[]
        return this.nodesWhere(ARTIFACT, `n.uri IN ${slots(uris.length)}`, uris)
      }
      case 'GetContextsByArtifact':
        return this.contextsOf('Attribution', 'artifact_id', req.artifact_id)
      case 'GetContextsByExecution':
        return this.contextsOf('Association', 'execution_id', req.execution_id)
      case 'GetArtifactsByContext':
        return this.byContext(ARTIFACT, 'Attribution', req)
      case 'GetExecutionsByContext':
        return this.byContext(EXECUTION, 'Association', req)
      case 'GetEventsByArtifactIDs':
        return this.events('artifact_id', req.artifact_ids as bigint[])
      case 'GetEventsByExecutionIDs':
        return this.events('execution_id', req.execution_ids as bigint[])
      case 'GetArtifacts':
        if (!hint) throw new Error('the floor needs SQL for a filtered listing')
        return this.read(() =>
          this.nodesByIds(
            ARTIFACT,
            this.all(hint.sql, hint.params).map((r) => r.id),
          ),
        )
      case 'GetLineageSubgraph':
        if (!hint) throw new Error('the floor needs SQL for the starting nodes')
        return this.lineage(req, hint)
      default:
        throw new Error(`the floor does not implement ${op}`)
    }
  }
}
