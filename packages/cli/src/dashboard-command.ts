import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createDashboard } from '@anyqueue/dashboard'
import type { CommandContext } from './commands.js'

/** Where `anyqueue … dashboard` listens. */
export interface DashboardServeOptions {
  /** 0 lets the OS pick a free port. */
  port: number
  /** Default 127.0.0.1: the dashboard can purge and has no login, so it is not on the network unless asked. */
  host: string
}

/**
 * Serves `@anyqueue/dashboard` for the URL's client (page, JSON API and `/metrics`) until Ctrl-C.
 * Prints the address it listens on.
 */
export async function serveDashboard(ctx: CommandContext, options: DashboardServeOptions): Promise<void> {
  const server = createServer(createDashboard(ctx.client).handle)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, resolve)
  })
  const { port } = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `http://${host}:${port}/`
  ctx.out.result(`dashboard on ${url} (metrics on ${url}metrics); Ctrl-C stops it`, { url })
  if (!ctx.signal.aborted) {
    await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }))
  }
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
}
