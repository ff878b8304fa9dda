import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { freePort, startRedisServer } from '@anyqueue/conformance/backends'

/** A local Redis Cluster of three masters (no replicas), each a `redis-server` child in its own dir. */
export async function startCluster(): Promise<{
  nodes: { host: string; port: number }[]
  stop(): Promise<void>
}> {
  const ports = [await freePort(), await freePort(), await freePort()]
  const servers = await Promise.all(
    ports.map((port) =>
      startRedisServer({
        port,
        args: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
      }),
    ),
  )
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()))
  }
  try {
    await promisify(execFile)('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-yes',
    ])
    const deadline = Date.now() + 60_000
    for (;;) {
      const states = await Promise.all(
        ports.map(async (p) => {
          const { stdout } = await promisify(execFile)('redis-cli', ['-p', String(p), 'cluster', 'info'])
          return /cluster_state:ok/.test(stdout)
        }),
      )
      if (states.every(Boolean)) break
      if (Date.now() > deadline) throw new Error('the cluster did not reach cluster_state:ok within 60 s')
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop }
}
