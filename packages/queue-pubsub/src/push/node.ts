import type { IncomingMessage, ServerResponse } from 'node:http'
import type { PushHandler } from './handler.js'

/**
 * A `node:http` (and Express) listener for a web-standard handler: the request is read into a
 * `Request` (its `signal` aborts when the client goes away), the `Response` written back.
 */
export function toNodeListener(handler: PushHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serve(handler, req, res)
  }
}

async function serve(handler: PushHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const controller = new AbortController()
  res.on('close', () => {
    if (!res.writableFinished) controller.abort(new DOMException('the client went away', 'AbortError'))
  })
  try {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers = new Headers()
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue
      for (const one of [value].flat()) headers.append(name, one)
    }
    const method = req.method ?? 'GET'
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method,
      headers,
      body: method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks),
      signal: controller.signal,
    })
    const response = await handler(request)
    res.writeHead(response.status, Object.fromEntries(response.headers))
    res.end(Buffer.from(await response.arrayBuffer()))
  } catch (error) {
    // A bug in the handler: a nack, never an ack.
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
    res.end('internal error')
    console.error('[anyqueue] push handler:', error)
  }
}
