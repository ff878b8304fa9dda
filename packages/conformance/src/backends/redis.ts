import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { canConnect, freePort, startProcess } from './process.js'
import type { BackendSpec } from './resolve.js'
import { which } from './sqs.js'

/** What a Redis client needs to reach a backend: `redis://host:port`. */
export interface RedisConnection {
  url: string
}

/** Redis image used when a Docker engine answers. */
export const REDIS_IMAGE = 'redis:7.2-alpine'

/**
 * Resolves a Redis backend: `REDIS_URL` → `redis` via testcontainers → Debian's `redis-server` on
 * PATH, a child process on a free loopback port with its own temp dir (no persistence: the suite
 * reopens drivers, never the server).
 */
export const redisBackend: BackendSpec<RedisConnection> = {
  name: 'redis',
  fromEnv(env) {
    if (!env.REDIS_URL) return undefined
    return {
      source: 'env',
      description: `${env.REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')} (REDIS_URL)`,
      connection: { url: env.REDIS_URL },
      stop: async () => {},
    }
  },
  async container() {
    const { GenericContainer, Wait } = (await import('testcontainers')) as typeof import('testcontainers')
    const started = await new GenericContainer(REDIS_IMAGE)
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
      .start()
    const url = `redis://${started.getHost()}:${started.getMappedPort(6379)}`
    return {
      source: 'container',
      description: `${REDIS_IMAGE} at ${url}`,
      connection: { url },
      stop: async () => {
        await started.stop()
      },
    }
  },
  async local() {
    const started = await startRedisServer()
    return {
      source: 'local',
      description: `${started.command} on 127.0.0.1:${started.port}, a child process`,
      connection: { url: `redis://127.0.0.1:${started.port}` },
      stop: started.stop,
    }
  },
}

/**
 * Starts `redis-server` from PATH on a free loopback port, in a temp dir of its own (removed on
 * stop). `args` are added to the command line (`--appendonly yes`, `--cluster-enabled yes`, …).
 */
export async function startRedisServer(
  options: { args?: string[]; port?: number; dir?: string } = {},
): Promise<{ command: string; port: number; dir: string; pid: number; stop(): Promise<void> }> {
  const command = await which('redis-server')
  const port = options.port ?? (await freePort())
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'anyqueue-redis-'))
  const server = await startProcess({
    command,
    args: [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      ...(options.args ?? []),
    ],
    ready: () => canConnect(port),
    timeoutMs: 30_000,
  })
  return {
    command,
    port,
    dir,
    pid: server.child.pid!,
    stop: async () => {
      await server.stop()
      if (!options.dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}
