import { connect, createServer, type Socket } from 'node:net'

export interface FaultProxy {
  /** The loopback port clients should use instead of the backend's. */
  port: number
  /** Drops every open connection and refuses new ones: the backend "goes away". */
  cut(): void
  /** Lets connections through again. */
  restore(): void
  close(): Promise<void>
}

/**
 * A TCP proxy on loopback in front of a backend, to simulate an outage between client and server
 * when the backend itself cannot be restarted with its state (moto and the Pub/Sub emulator keep
 * messages only in memory). While cut, connections are accepted and reset at once.
 */
export async function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  const sockets = new Set<Socket>()
  let down = false
  const server = createServer((client) => {
    if (down) {
      client.resetAndDestroy()
      return
    }
    const upstream = connect(target.port, target.host ?? '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    port,
    cut() {
      down = true
      for (const socket of sockets) socket.resetAndDestroy()
      sockets.clear()
    },
    restore() {
      down = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
