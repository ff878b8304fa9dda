import { spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { canConnect, freePort, startProcess } from './process.js'
import type { BackendSpec } from './resolve.js'

/** What a PostgreSQL client needs: `new pg.Pool({ connectionString })`. */
export interface PostgresConnection {
  connectionString: string
  /** The postmaster's pid when this process started it (the kill test SIGKILLs it), else undefined. */
  pid?: number
  /** Restarts a server this process started on the same port and data (the kill test), else undefined. */
  restart?(): Promise<void>
}

/** PostgreSQL image used when a Docker engine answers. */
export const POSTGRES_IMAGE = 'postgres:17-alpine'

/**
 * Resolves a PostgreSQL backend: `DATABASE_URL` or libpq's `PGHOST` (with `PGPORT`, `PGUSER`,
 * `PGPASSWORD`, `PGDATABASE`) → a container via testcontainers → Debian's binaries under
 * `/usr/lib/postgresql/<version>/bin`: `initdb` into a temp dir and `postgres` on a free loopback
 * port, as the `postgres` user when this process is root (PostgreSQL refuses to run as root), the
 * directory removed on stop.
 */
export const postgresBackend: BackendSpec<PostgresConnection> = {
  name: 'postgres',
  fromEnv(env) {
    let connectionString = env.DATABASE_URL
    let variable = 'DATABASE_URL'
    if (!connectionString && env.PGHOST) {
      const url = new URL('postgres://localhost')
      url.hostname = env.PGHOST
      if (env.PGPORT) url.port = env.PGPORT
      url.username = env.PGUSER ?? 'postgres'
      if (env.PGPASSWORD) url.password = env.PGPASSWORD
      url.pathname = `/${env.PGDATABASE ?? 'postgres'}`
      connectionString = url.href
      variable = 'PGHOST'
    }
    if (!connectionString) return undefined
    const shown = connectionString.replace(/:[^:@/]*@/, ':***@')
    return {
      source: 'env',
      description: `${shown} (${variable})`,
      connection: { connectionString },
      stop: async () => {},
    }
  },
  async container() {
    const { GenericContainer, Wait } = (await import('testcontainers')) as typeof import('testcontainers')
    const started = await new GenericContainer(POSTGRES_IMAGE)
      .withEnvironment({ POSTGRES_PASSWORD: 'postgres' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start()
    const connectionString = `postgres://postgres:postgres@${started.getHost()}:${started.getMappedPort(5432)}/postgres`
    return {
      source: 'container',
      description: `PostgreSQL (${POSTGRES_IMAGE}) at ${started.getHost()}:${started.getMappedPort(5432)}`,
      connection: { connectionString },
      stop: async () => {
        await started.stop()
      },
    }
  },
  async local() {
    const bin = postgresBin()
    const user = runAs()
    const dir = mkdtempSync(join(tmpdir(), 'anyqueue-pg-'))
    try {
      if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid)
      const data = join(dir, 'data')
      const init = spawnSync(
        join(bin, 'initdb'),
        ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'],
        {
          ...user,
          encoding: 'utf8',
        },
      )
      if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error}`)
      const port = await freePort()
      const start = () =>
        startProcess({
          command: join(bin, 'postgres'),
          args: [
            '-D',
            data,
            '-p',
            String(port),
            '-k',
            dir,
            '-c',
            'listen_addresses=127.0.0.1',
            '-c',
            'max_connections=200',
          ],
          spawn: user,
          ready: () => ready(port),
          timeoutMs: 60_000,
        })
      let server = await start()
      const connection: PostgresConnection = {
        connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
        get pid() {
          return server.child.pid
        },
        async restart() {
          if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGINT')
          await server.stop()
          // After a crash the old backends may hold the shared memory a moment longer: try again.
          const deadline = Date.now() + 60_000
          for (;;) {
            try {
              server = await start()
              return
            } catch (error) {
              if (Date.now() > deadline) throw error
              await new Promise((resolve) => setTimeout(resolve, 250))
            }
          }
        },
      }
      return {
        source: 'local',
        description: `PostgreSQL (${join(bin, 'postgres')}) on 127.0.0.1:${port}, a child process`,
        connection,
        stop: async () => {
          // SIGINT is PostgreSQL's fast shutdown: SIGTERM (smart) waits for every client to leave.
          if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGINT')
          await server.stop()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    } catch (error) {
      rmSync(dir, { recursive: true, force: true })
      throw error
    }
  },
}

/** Accepting TCP is not enough: the server answers 57P03 while it recovers. Ask with pg_isready. */
async function ready(port: number): Promise<boolean> {
  if (!(await canConnect(port))) return false
  const isReady = join(postgresBin(), 'pg_isready')
  if (!existsSync(isReady)) return true
  return spawnSync(isReady, ['-h', '127.0.0.1', '-p', String(port), '-q']).status === 0
}

/** The binaries of the newest PostgreSQL installed: Debian keeps them off the PATH. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (versions.length === 0) {
    throw new Error('PostgreSQL is not installed under /usr/lib/postgresql (apt-get install postgresql)')
  }
  return join(root, versions[0]!, 'bin')
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user the Debian package made. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {}
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim())
  const uid = id('-u')
  if (!Number.isInteger(uid) || uid <= 0)
    throw new Error('running as root, and there is no postgres user to run PostgreSQL as')
  return { uid, gid: id('-g') }
}
