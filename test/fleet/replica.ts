// A real streaming replica of the test PostgreSQL for the read-routing tests: pg_basebackup into a temporary
// directory, then a second postmaster on a free port, in hot standby. The primary must accept replication
// connections from 127.0.0.1: `allowReplication` adds that pg_hba.conf line once (idempotently) and reloads.
import { execFileSync } from 'node:child_process'
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { freePort } from './fleet.js'

const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'
const HBA_LINE = 'host replication all 127.0.0.1/32 trust'
const ALLOWS_REPLICATION = /^\s*host\s+replication\s+\S+\s+127\.0\.0\.1\/32\s+trust/m

/** Whether this machine can run a replica: PostgreSQL's server binaries, and a user the postmaster accepts. */
export function replicaSupported(): boolean {
  return existsSync(join(BIN, 'pg_basebackup')) && existsSync(join(BIN, 'pg_ctl'))
}

/** Adds the replication line to the primary's pg_hba.conf when it has none, and reloads it. */
export async function allowReplication(primaryUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: primaryUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ hba_file: string }>('show hba_file')
    const file = rows[0]!.hba_file
    try {
      if (ALLOWS_REPLICATION.test(readFileSync(file, 'utf8'))) return
      appendFileSync(
        file,
        `\n# streaming replicas for the read-routing test (test/fleet/replica.ts)\n${HBA_LINE}\n`,
      )
    } catch (err) {
      throw new Error(
        `cannot read or extend ${file} (${(err as Error).message}): add "${HBA_LINE}" to it and reload PostgreSQL`,
      )
    }
    await client.query('select pg_reload_conf()')
  } finally {
    await client.end()
  }
}

// PostgreSQL refuses to run as root: as root, the replica's files and processes belong to `postgres`.
const asRoot = process.getuid?.() === 0
function run(command: string, args: string[]): string {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

export interface Replica {
  port: number
  /** `primaryUrl` with the replica's port. */
  urlFor(primaryUrl: string): string
  stop(): Promise<void>
}

/** Copies the primary with pg_basebackup and starts it as a hot standby streaming from the primary. */
export async function startReplica(primaryUrl: string): Promise<Replica> {
  const primary = new URL(primaryUrl)
  const parent = mkdtempSync(join(tmpdir(), 'stagedoor-replica-'))
  chmodSync(parent, 0o755)
  const owner = asRoot
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
        gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
      }
    : undefined
  if (owner) chownSync(parent, owner.uid, owner.gid)
  const data = join(parent, 'data')
  const port = await freePort()
  const stop = async () => {
    try {
      run(join(BIN, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w'])
    } catch {
      // Not running (it failed to start): nothing to stop.
    }
    rmSync(parent, { recursive: true, force: true })
  }
  try {
    run(join(BIN, 'pg_basebackup'), [
      '-h',
      primary.hostname,
      '-p',
      primary.port || '5432',
      '-U',
      decodeURIComponent(primary.username || 'postgres'),
      '-D',
      data,
      '-X',
      'stream',
      '-R',
      '--checkpoint=fast',
      '--no-sync',
    ])
    // Debian keeps the configuration outside the data directory: the copy gets its own. A hot standby needs
    // these limits at least as high as the primary's (the defaults are).
    writeFileSync(
      join(data, 'postgresql.conf'),
      [
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${parent}'`,
        'hot_standby = on',
        'shared_buffers = 32MB',
        'fsync = off',
        `hba_file = '${join(data, 'pg_hba.conf')}'`,
        `ident_file = '${join(data, 'pg_ident.conf')}'`,
        'max_connections = 100',
        'logging_collector = off',
        '',
      ].join('\n'),
    )
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n')
    writeFileSync(join(data, 'pg_ident.conf'), '')
    for (const file of ['postgresql.conf', 'pg_hba.conf', 'pg_ident.conf']) {
      if (owner) chownSync(join(data, file), owner.uid, owner.gid)
    }
    run(join(BIN, 'pg_ctl'), ['-D', data, '-l', join(parent, 'log'), '-w', '-t', '60', 'start'])
  } catch (err) {
    const log = existsSync(join(parent, 'log')) ? readFileSync(join(parent, 'log'), 'utf8') : ''
    await stop()
    throw new Error(`replica did not start: ${(err as Error).message}\n${log.slice(-3000)}`)
  }
  return {
    port,
    urlFor(url) {
      const target = new URL(url)
      target.hostname = '127.0.0.1'
      target.port = String(port)
      return target.toString()
    },
    stop,
  }
}
