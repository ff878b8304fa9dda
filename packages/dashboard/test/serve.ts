import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Dashboard } from '../src/index.js'

/** Serves `dashboard` with `node:http` on a port the OS picks; `close()` ends it. */
export async function serve(
  dashboard: Dashboard,
  path = '/',
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(dashboard.handle)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

/** A response's JSON body, typed loosely for assertions. */
export const jsonOf = async (response: Response | Promise<Response>): Promise<any> => (await response).json()
