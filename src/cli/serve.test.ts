import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetadataStoreClient } from '../client/metadata-store-client.js'
import { Code } from '../errors.js'
import { createMetadataStore } from '../store/metadata-store.js'
import type { CliIo } from './io.js'
import { main } from './main.js'
import { isLoopback, parseServeArgs } from './serve.js'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mlmd-ts-cli-'))
  writeFileSync(path.join(dir, 'key.pem'), 'KEY')
  writeFileSync(path.join(dir, 'cert.pem'), 'CERT')
  writeFileSync(path.join(dir, 'ca.pem'), 'CA')
})
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function parse(args: string[]) {
  return parseServeArgs(args, dir)
}

function config(text: string): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.pbtxt`)
  writeFileSync(file, text)
  return file
}

/** A CliIo that records output and stops when `stop()` is called. */
function testIo() {
  const out: string[] = []
  const err: string[] = []
  let stop: () => void = () => {}
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  let started: (line: string) => void = () => {}
  const startedLine = new Promise<string>((resolve) => {
    started = resolve
  })
  const io: CliIo = {
    out: (line) => {
      out.push(line)
      if (line.startsWith('mlmd-ts serving')) started(line)
    },
    err: (line) => err.push(line),
    cwd: dir,
    waitForSignal: () => stopped,
  }
  return { io, out, err, stop, startedLine }
}

describe('serve', () => {
  describe('parseServeArgs', () => {
    it('defaults to 127.0.0.1:8080 and ./mlmd.sqlite', () => {
      expect(parse([])).toEqual({
        host: '127.0.0.1',
        port: 8080,
        filename: path.join(dir, 'mlmd.sqlite'),
        readonly: false,
        mustExist: false,
        enableUpgradeMigration: false,
        downgradeToSchemaVersion: undefined,
        allowForeignTables: false,
        tls: undefined,
        channelOptions: {},
        logLevel: 'info',
        metricsPort: undefined,
      })
    })

    it('takes --lineage_nodes', () => {
      expect(parse(['--lineage_nodes', 'whole']).lineageNodes).toBe('whole')
      expect(parse(['--lineage_nodes=ids']).lineageNodes).toBe('ids')
      expect(parse([]).lineageNodes).toBeUndefined()
    })

    it("takes MLMD's --downgrade_db_schema_version (-1 for none) and --allow_foreign_tables", () => {
      expect(parse(['--downgrade_db_schema_version', '4']).downgradeToSchemaVersion).toBe(4)
      expect(parse(['--downgrade_db_schema_version=-1']).downgradeToSchemaVersion).toBeUndefined()
      expect(parse(['--allow_foreign_tables']).allowForeignTables).toBe(true)
      expect(() => parse(['--downgrade_db_schema_version', 'old'])).toThrow(/must be a schema version/)
    })

    it('takes --db, --host, --port and :memory:', () => {
      expect(parse(['--db', 'x/y.db', '--host', '0.0.0.0', '--port', '9090'])).toMatchObject({
        host: '0.0.0.0',
        port: 9090,
        filename: path.join(dir, 'x/y.db'),
      })
      expect(parse(['--db=:memory:']).filename).toBe(':memory:')
    })

    it("takes MLMD's flags, including gflags-style booleans", () => {
      expect(
        parse([
          '--grpc_port=8081',
          '--enable_database_upgrade=true',
          '--grpc_channel_arguments=grpc.max_receive_message_length=1024,grpc.max_send_message_length=2048',
          '--metadata_store_connection_retries=3',
          '--metadata_source_config_type=default',
        ]),
      ).toMatchObject({
        port: 8081,
        enableUpgradeMigration: true,
        channelOptions: { 'grpc.max_receive_message_length': 1024, 'grpc.max_send_message_length': 2048 },
      })
      expect(parse(['--enable_database_upgrade']).enableUpgradeMigration).toBe(true)
      expect(parse(['--enable_database_upgrade=false']).enableUpgradeMigration).toBe(false)
      expect(parse(['--noenable_database_upgrade']).enableUpgradeMigration).toBe(false)
    })

    it('reads the server config file, and lets flags override it', () => {
      const file = config(`
        connection_config { sqlite { filename_uri: "file:from-config.db" connection_mode: READONLY } }
        ssl_config { server_key: "K" server_cert: "C" custom_ca: "A" client_verify: true }
        migration_options { enable_upgrade_migration: true }
      `)
      expect(parse(['--metadata_store_server_config_file', file])).toMatchObject({
        filename: path.join(dir, 'from-config.db'),
        readonly: true,
        enableUpgradeMigration: true,
        tls: { serverKey: 'K', serverCert: 'C', customCa: 'A', clientVerify: true },
      })
      expect(parse(['--metadata_store_server_config_file', file, '--db', 'flag.db'])).toMatchObject({
        filename: path.join(dir, 'flag.db'),
        readonly: false,
      })
    })

    it('reads --tls-* shorthands as PEM files; --tls-ca turns on client verification', () => {
      expect(parse(['--tls-cert', 'cert.pem', '--tls-key', 'key.pem']).tls).toEqual({
        serverCert: 'CERT',
        serverKey: 'KEY',
        customCa: undefined,
        clientVerify: false,
      })
      expect(
        parse(['--tls-cert', 'cert.pem', '--tls-key', 'key.pem', '--tls-ca', 'ca.pem']).tls,
      ).toMatchObject({
        customCa: 'CA',
        clientVerify: true,
      })
    })

    it('takes --read_workers (0 serves on the main thread)', () => {
      expect(parse(['--read_workers', '3']).readWorkers).toBe(3)
      expect(parse(['--read_workers=0']).readWorkers).toBe(0)
      expect(parse([]).readWorkers).toBeUndefined()
    })

    it('takes --point_reads', () => {
      expect(parse(['--point_reads', 'workers']).pointReads).toBe('workers')
      expect(parse(['--point_reads=main']).pointReads).toBe('main')
      expect(parse([]).pointReads).toBeUndefined()
    })

    it('takes --processes (1, the default, serves in this process alone)', () => {
      expect(parse(['--processes', '4']).processes).toBe(4)
      expect(parse(['--processes', '1']).processes).toBeUndefined()
      expect(parse([]).processes).toBeUndefined()
      expect(parse(['--processes', '2', '--db', 'postgres://u:p@127.0.0.1:5432/m']).processes).toBe(2)
    })

    it('takes --grpc_web_port and --grpc_web_origins, and refuses what is not an origin', () => {
      expect(parse([]).grpcWeb).toBeUndefined()
      expect(parse(['--grpc_web_port', '0']).grpcWeb).toEqual({ port: 0, allowedOrigins: [] })
      expect(
        parse(['--grpc_web_port=8081', '--grpc_web_origins', 'https://ui.example.com, http://kf:3000'])
          .grpcWeb,
      ).toEqual({ port: 8081, allowedOrigins: ['https://ui.example.com', 'http://kf:3000'] })
      expect(parse(['--grpc_web_port=1', '--grpc_web_origins=*']).grpcWeb?.allowedOrigins).toEqual(['*'])
      expect(() => parse(['--grpc_web_origins', 'https://a.example'])).toThrow(/goes with --grpc_web_port/)
      expect(() => parse(['--grpc_web_port', '1', '--grpc_web_origins', 'https://a.example/path'])).toThrow(
        /not an origin/,
      )
      expect(() => parse(['--grpc_web_port', 'x'])).toThrow(/--grpc_web_port must be a port number/)
    })

    it('reads --auth-token-file: the token without surrounding whitespace', () => {
      writeFileSync(path.join(dir, 'token'), '  tok3n-Value=\n', { mode: 0o600 })
      expect(parse(['--auth-token-file', 'token'])).toMatchObject({
        authToken: 'tok3n-Value=',
        authTokenFile: path.join(dir, 'token'),
      })
      expect(parse([]).authToken).toBeUndefined()
    })

    it('refuses a token file it cannot use, without repeating its contents', () => {
      writeFileSync(path.join(dir, 'bad-token'), 'two secret words\n')
      writeFileSync(path.join(dir, 'empty-token'), '\n')
      for (const [file, message] of [
        ['bad-token', /bad-token: the auth token must be one non-empty word/],
        ['empty-token', /empty-token: the auth token must be one non-empty word/],
        ['no-such-token', /cannot read .*no-such-token \(ENOENT\)/],
      ] as const) {
        let error: unknown
        try {
          parse(['--auth-token-file', file])
        } catch (e) {
          error = e
        }
        expect(error).toMatchObject({ code: Code.InvalidArgument })
        expect((error as Error).message).toMatch(message)
        expect((error as Error).message).not.toMatch(/secret/)
      }
    })

    it.each([
      [
        ['--mysql_config_host=db'],
        /give all of --mysql_config_host, --mysql_config_port and --mysql_config_database/,
      ],
      [['--db', 'mysql://u:p@h:3306/d', '--metadata_source_config_type=oracle'], /must be one of/],
      [['--postgres_config_host', 'db'], /--metadata_source_config_type=postgresql/],
      [
        ['--metadata_source_config_type=postgresql', '--postgres_config_host', 'db'],
        /--postgres_config_dbname/,
      ],
      [
        ['--metadata_source_config_type=postgresql', '--postgres_config_dbname', 'm'],
        /--postgres_config_host/,
      ],
      [['--metadata_source_config_type=oracle'], /must be one of/],
      [['--port', 'http'], /--port must be a port number/],
      [['--port', '70000'], /--port must be a port number/],
      [['--port', '1', '--grpc_port', '2'], /disagree/],
      [['--read_workers', 'many'], /--read_workers must be a number from 0 to 256/],
      [['--read_workers', '-1'], /--read_workers/],
      [['--lineage_nodes', 'some'], /--lineage_nodes must be one of auto, whole, ids, not "some"/],
      [['--point_reads', 'here'], /--point_reads must be one of main, workers, not "here"/],
      [['--processes', '0'], /--processes must be a number from 1 to 64, not "0"/],
      [['--processes', '65'], /--processes must be a number from 1 to 64/],
      [['--processes', 'all'], /--processes must be a number/],
      [['--processes', '2', '--db', ':memory:'], /--processes needs a database file or server/],
      [['--processes', '2', '--downgrade_db_schema_version', '7'], /give it without --processes/],
      [['--tls-cert', 'cert.pem'], /go together/],
      [['--tls-cert', 'nope.pem', '--tls-key', 'key.pem'], /cannot read/],
      [['--enable_database_upgrade=maybe'], /takes true or false/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['extra'], /unexpected argument "extra"/],
      [['--grpc_channel_arguments=nonsense'], /expected key=value/],
      [['--metadata_store_server_config_file', 'missing.pbtxt'], /cannot read/],
    ])('refuses %j', (args, message) => {
      let error: unknown
      try {
        parse(args)
      } catch (e) {
        error = e
      }
      expect(error).toMatchObject({ code: Code.InvalidArgument })
      expect((error as Error).message).toMatch(message)
    })

    it("takes MLMD's MySQL flags, as Kubeflow passes them, and the config file's connection_config.mysql", () => {
      const settings = parse([
        '--mysql_config_database=metadb',
        '--mysql_config_host=mysql.kubeflow',
        '--mysql_config_port=3306',
        '--mysql_config_user=root',
        '--mysql_config_password=secret',
        '--enable_database_upgrade=true',
      ])
      expect(settings.server).toEqual({
        engine: 'mysql',
        host: 'mysql.kubeflow',
        port: 3306,
        database: 'metadb',
        user: 'root',
        password: 'secret',
      })
      const file = config(
        'connection_config { mysql { host: "db" port: 3307 database: "m" skip_db_creation: true } }',
      )
      expect(parse(['--metadata_store_server_config_file', file]).server).toEqual({
        engine: 'mysql',
        host: 'db',
        port: 3307,
        database: 'm',
        skipDbCreation: true,
      })
      expect(parse(['--db', 'mariadb://u:p@h:3306/d']).server).toEqual({
        engine: 'mysql',
        url: 'mysql://u:p@h:3306/d',
      })
    })

    it("takes MLMD's PostgreSQL flags, as Kubeflow's PostgreSQL overlay passes them", () => {
      const settings = parse([
        '--metadata_source_config_type=postgresql',
        '--postgres_config_host=db.internal',
        '--postgres_config_port=5433',
        '--postgres_config_user=mlmd',
        '--postgres_config_password=secret',
        '--postgres_config_dbname=metadb',
        '--postgres_config_skip_db_creation=true',
        '--enable_database_upgrade=true',
      ])
      expect(settings.server).toEqual({
        engine: 'postgresql',
        host: 'db.internal',
        port: 5433,
        user: 'mlmd',
        password: 'secret',
        database: 'metadb',
        skipDbCreation: true,
      })
    })

    it('takes a PostgreSQL URL as --db, over the config file', () => {
      const file = config('connection_config { postgresql { host: "other" dbname: "x" } }')
      const url = 'postgres://mlmd:secret@127.0.0.1:5432/metadb'
      expect(parse(['--db', url, '--metadata_store_server_config_file', file]).server).toEqual({
        engine: 'postgresql',
        url,
      })
      expect(parse(['--metadata_store_server_config_file', file]).server).toEqual({
        engine: 'postgresql',
        host: 'other',
        database: 'x',
      })
    })

    it('refuses client_verify without a CA', () => {
      const file = config('ssl_config { server_key: "K" server_cert: "C" client_verify: true }')
      expect(() => parse(['--metadata_store_server_config_file', file])).toThrow(/needs ssl_config.custom_ca/)
    })
  })

  describe('isLoopback', () => {
    it.each([
      ['127.0.0.1', true],
      ['127.1.2.3', true],
      ['localhost', true],
      ['::1', true],
      ['[::1]', true],
      ['0.0.0.0', false],
      ['::', false],
      ['10.0.0.5', false],
    ])('%s → %s', (host, expected) => {
      expect(isLoopback(host)).toBe(expected)
    })
  })

  describe('main serve', () => {
    it('serves the file, logs one start line, and closes the store on the stop signal', async () => {
      const { io, out, err, stop, startedLine } = testIo()
      const db = path.join(dir, 'served.sqlite')
      const exit = main(['serve', '--port', '0', '--db', db], io)
      const line = await startedLine
      expect(line).toMatch(
        new RegExp(
          `^mlmd-ts serving ml_metadata.MetadataStoreService on 127.0.0.1:\\d+ \\(plaintext\\); store ${db}, schema version 10; \\d+ read workers and 1 write worker$`,
        ),
      )
      const port = Number(/:(\d+) /.exec(line)?.[1])
      const client = createMetadataStoreClient({ port })
      await client.putArtifactType({ artifact_type: { name: 'FromCli' } })
      client.close()
      stop()
      expect(await exit).toBe(0)
      expect(out).toHaveLength(1)
      expect(err.join('\n')).toMatch(/stopped/)
      const reopened = createMetadataStore({ filename: db })
      expect(reopened.getArtifactType({ type_name: 'FromCli' }).artifact_type?.name).toBe('FromCli')
      reopened.close()
    })

    it('with --grpc_web_port, answers grpc-web beside gRPC, over the same store', async () => {
      const { io, out, stop, startedLine } = testIo()
      const exit = main(['serve', '--port', '0', '--db', ':memory:', '--grpc_web_port', '0'], io)
      await startedLine
      const webLine = out.find((l) => l.startsWith('mlmd-ts grpc-web on')) ?? ''
      expect(webLine).toMatch(/^mlmd-ts grpc-web on http:\/\/127\.0\.0\.1:\d+ \(plaintext\)$/)
      const port = Number(/:(\d+) /.exec(out[0] ?? '')?.[1])
      const client = createMetadataStoreClient({ port })
      await client.putArtifactType({ artifact_type: { name: 'ViaGrpc' } })
      client.close()
      // GetArtifactTypesRequest {} in one data frame.
      const answer = await fetch(
        `${webLine.split(' ')[3]}/ml_metadata.MetadataStoreService/GetArtifactTypes`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/grpc-web+proto', 'x-grpc-web': '1' },
          body: new Uint8Array([0, 0, 0, 0, 0]),
        },
      )
      const body = Buffer.from(await answer.arrayBuffer())
      expect(body.includes(Buffer.from('ViaGrpc'))).toBe(true)
      expect(body.subarray(body.lastIndexOf(0x80)).toString('latin1')).toContain('grpc-status:0\r\n')
      stop()
      expect(await exit).toBe(0)
    })

    it('warns when grpc-web lets every origin call without a token', async () => {
      const { io, err, stop, startedLine } = testIo()
      const argv = [
        'serve',
        '--port',
        '0',
        '--db',
        ':memory:',
        '--grpc_web_port',
        '0',
        '--grpc_web_origins=*',
      ]
      const exit = main(argv, io)
      await startedLine
      stop()
      expect(await exit).toBe(0)
      expect(err.join('\n')).toContain('--grpc_web_origins=* without --auth-token-file lets any web page')
    })

    it('with --auth-token-file, requires the token and never prints it', async () => {
      const token = 'never-print-me-0123456789'
      const file = path.join(dir, 'serve-token')
      writeFileSync(file, `${token}\n`)
      chmodSync(file, 0o600)
      const { io, out, err, stop, startedLine } = testIo()
      const exit = main(['serve', '--port', '0', '--db', ':memory:', '--auth-token-file', file], io)
      const line = await startedLine
      expect(line).toMatch(/\(plaintext, bearer token required\)/)
      const port = Number(/:(\d+) /.exec(line)?.[1])
      const anonymous = createMetadataStoreClient({ port, retry: { maxAttempts: 1 } })
      await expect(anonymous.getArtifactTypes({})).rejects.toMatchObject({ code: Code.Unauthenticated })
      anonymous.close()
      const client = createMetadataStoreClient({ port, authToken: token })
      expect(await client.getArtifactTypes({})).toEqual({ artifact_types: [] })
      client.close()
      stop()
      expect(await exit).toBe(0)
      expect([...out, ...err].join('\n')).not.toContain(token)
      expect(err.join('\n')).not.toMatch(/readable by other users/)
    })

    it('warns when the token file is readable by others, or travels in plaintext beyond loopback', async () => {
      const file = path.join(dir, 'open-token')
      writeFileSync(file, 'open-token-value')
      chmodSync(file, 0o644)
      const { io, out, err, stop, startedLine } = testIo()
      const exit = main(
        ['serve', '--port', '0', '--host', '0.0.0.0', '--db', ':memory:', '--auth-token-file', file],
        io,
      )
      await startedLine
      stop()
      expect(await exit).toBe(0)
      expect(err.join('\n')).toMatch(/open-token is readable by other users; restrict it \(chmod 600\)/)
      expect(err.join('\n')).toMatch(/the bearer token travels in clear text/)
      expect([...out, ...err].join('\n')).not.toContain('open-token-value')
    })

    it('warns when serving plaintext beyond loopback', async () => {
      const { io, err, stop, startedLine } = testIo()
      const exit = main(['serve', '--port', '0', '--host', '0.0.0.0', '--db', ':memory:'], io)
      await startedLine
      stop()
      expect(await exit).toBe(0)
      expect(err.join('\n')).toMatch(/warning: serving without TLS on 0.0.0.0/)
    })

    it('exits 2 on usage errors and 1 when the database cannot be opened', async () => {
      const usage = testIo()
      expect(await main(['serve', '--port', 'x'], usage.io)).toBe(2)
      expect(usage.err.join('\n')).toMatch(/--port must be a port number/)
      const broken = testIo()
      writeFileSync(path.join(dir, 'not-a-db.sqlite'), 'this is not sqlite'.repeat(100))
      expect(await main(['serve', '--port', '0', '--db', 'not-a-db.sqlite'], broken.io)).toBe(1)
      const file = path.join(dir, 'not-a-db.sqlite')
      expect(broken.err).toEqual([`mlmd-ts: cannot open ${file}: ${file} is not an SQLite database`])
      const folder = testIo()
      expect(await main(['serve', '--port', '0', '--db', '.'], folder.io)).toBe(1)
      expect(folder.err).toEqual([`mlmd-ts: cannot open ${dir}: ${dir} is a folder, not a database file`])
      const missing = testIo()
      expect(await main(['serve', '--port', '0', '--db', 'no/such/dir/x.sqlite'], missing.io)).toBe(1)
      expect(missing.err).toEqual([
        `mlmd-ts: cannot open ${path.join(dir, 'no/such/dir/x.sqlite')}: the folder ${path.join(dir, 'no/such/dir')} does not exist`,
      ])
    })

    it('refuses a bad --log_level and --metrics_port', async () => {
      const level = testIo()
      expect(await main(['serve', '--log_level', 'loud'], level.io)).toBe(2)
      expect(level.err[0]).toBe(
        'mlmd-ts: --log_level must be one of trace, debug, info, warn, error, fatal, silent, not "loud"\n(see mlmd-ts serve --help)',
      )
      const port = testIo()
      expect(await main(['serve', '--metrics_port', 'x'], port.io)).toBe(2)
      expect(port.err[0]).toBe(
        'mlmd-ts: --metrics_port must be a port number, not "x"\n(see mlmd-ts serve --help)',
      )
    })

    it('exits 1 when the port is taken', async () => {
      const first = testIo()
      const running = main(['serve', '--port', '0', '--db', ':memory:'], first.io)
      const port = Number(/:(\d+) /.exec(await first.startedLine)?.[1])
      const second = testIo()
      const file = path.join(dir, 'second-server.sqlite')
      expect(await main(['serve', '--port', String(port), '--db', file], second.io)).toBe(1)
      // One plain line (no raw grpc-js line), and no empty database left behind.
      expect(second.err).toEqual([
        `mlmd-ts: cannot listen on 127.0.0.1:${port}: the port is already in use (another server?); choose another with --port, or 0 for any free one`,
      ])
      expect(existsSync(file)).toBe(false)
      expect(existsSync(`${file}-wal`)).toBe(false)
      first.stop()
      expect(await running).toBe(0)
    })
  })

  describe('main', () => {
    it('prints usage, version, and refuses unknown commands', async () => {
      const help = testIo()
      expect(await main(['--help'], help.io)).toBe(0)
      expect(help.out.join('\n')).toMatch(/Usage: mlmd-ts <command>/)
      const version = testIo()
      expect(await main(['--version'], version.io)).toBe(0)
      expect(version.out[0]).toMatch(/^\d+\.\d+\.\d+/)
      const serveHelp = testIo()
      expect(await main(['serve', '--help'], serveHelp.io)).toBe(0)
      expect(serveHelp.out.join('\n')).toMatch(/--metadata_store_server_config_file/)
      const unknown = testIo()
      expect(await main(['frobnicate'], unknown.io)).toBe(2)
      expect(await main([], testIo().io)).toBe(2)
    })
  })
})
