// Starts Debian's redis-server and PostgreSQL for one bench run: on a free loopback port, in a temp
// directory removed afterwards. Each start returns { stop } or { skipped: reason } when the
// binaries are not installed (apt-get install redis-server postgresql).

import { spawn, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export const REDIS_DURABILITY = 'appendonly yes, appendfsync everysec (AOF fsync once a second)'
export const POSTGRES_DURABILITY = 'fsync on, synchronous_commit on (WAL fsync per commit; the default)'

async function freePort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

function which(binary) {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' })
  return found.status === 0 ? found.stdout.trim() : undefined
}

/** Waits until `ready()` resolves true, up to `ms`. */
async function until(ready, ms, what) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return
    await sleep(100)
  }
  throw new Error(`${what} did not start within ${ms} ms`)
}

function stopper(child, dir) {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(10_000)])
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function startRedis() {
  const binary = which('redis-server')
  if (!binary) return { skipped: 'redis-server not found (apt-get install redis-server)' }
  const dir = mkdtempSync(join(tmpdir(), 'anyqueue-peers-redis-'))
  const port = await freePort()
  const child = spawn(
    binary,
    [
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
      ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'],
    ].flat(),
    { stdio: 'ignore' },
  )
  return { port, child, dir, stop: stopper(child, dir) }
}

/** The postgres binaries of the newest installed version: Debian keeps them off the PATH. */
function postgresBin() {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a))
  return versions.length > 0 ? join(root, versions[0], 'bin') : undefined
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` user Debian creates. */
function runAs() {
  if (process.getuid?.() !== 0) return {}
  const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim())
  const uid = id('-u')
  if (!Number.isInteger(uid) || uid === 0) throw new Error('running as root and no postgres user to run as')
  return { uid, gid: id('-g') }
}

export async function startPostgres() {
  const bin = postgresBin()
  if (!bin) return { skipped: 'PostgreSQL not found under /usr/lib/postgresql (apt-get install postgresql)' }
  const user = runAs()
  const dir = mkdtempSync(join(tmpdir(), 'anyqueue-peers-pg-'))
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'], {
    ...user,
    encoding: 'utf8',
  })
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`)
  const port = await freePort()
  const child = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on'],
    { ...user, stdio: 'ignore' },
  )
  return { port, child, dir, stop: stopper(child, dir), until }
}

export { until }
