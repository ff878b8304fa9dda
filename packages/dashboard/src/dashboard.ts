import type { IncomingMessage, ServerResponse } from 'node:http'
import { isQueueError, type QueueClient, QueueError, redrive } from '@anyqueue/queue-core'
import { getRequestListener } from '@hono/node-server'
import { type Context, Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { peekShown, purgeVisible } from './actions.js'
import { type Asset, loadAssets } from './assets.js'
import { History } from './history.js'
import { createQueueMetrics, type QueueMetrics, type QueueMetricsOptions } from './metrics.js'
import { renderPage } from './page.js'
import { StatsReader, type TargetOptions } from './targets.js'

/** Options of `createDashboard`. */
export interface DashboardOptions extends TargetOptions {
  /** The page's heading. Default `anyqueue`. */
  title?: string
  /** How often the page refreshes its numbers, 1 to 3600 s. Default 2. */
  refreshSeconds?: number
  /** Samples the charts keep. Default 360 (12 minutes at the default refresh). */
  historySize?: number
  /** Where the app mounts the dashboard, e.g. `/queues`. Default: the root. */
  basePath?: string
  /** The Prometheus metrics' registry, prefix and buckets (the endpoint is `<basePath>/metrics`). */
  metrics?: Omit<QueueMetricsOptions, keyof TargetOptions>
  /** Most messages one purge request deletes. Default 100,000. */
  purgeLimit?: number
}

/** A dashboard: one handler for `node:http`, and the same as a web-standard `fetch`. */
export interface Dashboard {
  /** Web-standard handler (Hono, Bun, Deno, service workers; Fastify and Express through an adapter). */
  fetch(request: Request): Promise<Response>
  /** A `node:http` request listener: `http.createServer(dashboard.handle)` or Express's `app.use`. */
  handle(request: IncomingMessage, response: ServerResponse): void
  /** Its Prometheus metrics; `metrics.consumerEvents(queue)` is the `onEvent` that feeds the throughput chart. */
  readonly metrics: QueueMetrics
}

const STATUS: Partial<Record<string, 400 | 404 | 501 | 503>> = {
  INVALID_ARGUMENT: 400,
  INVALID_QUEUE_NAME: 400,
  QUEUE_NOT_FOUND: 404,
  NOT_SUPPORTED: 501,
  UNAVAILABLE: 503,
}

/**
 * A dashboard of `client`'s queues and subscriptions: counts from `stats()` (never by receiving),
 * depth and throughput charts, a dead-letter queue's messages by `peek()`, redrive and purge behind
 * a confirmation, and Prometheus metrics at `metrics`. It has no login: mount it behind your own.
 */
export function createDashboard(client: QueueClient, options: DashboardOptions = {}): Dashboard {
  const refreshSeconds = options.refreshSeconds ?? 2
  if (!Number.isInteger(refreshSeconds) || refreshSeconds < 1 || refreshSeconds > 3600) {
    throw new QueueError('INVALID_ARGUMENT', `refreshSeconds must be a whole number from 1 to 3600`, {
      field: 'refreshSeconds',
      limit: 3600,
    })
  }
  const title = options.title ?? 'anyqueue'
  const reader = new StatsReader(client, options)
  const metrics = createQueueMetrics(reader, options.metrics)
  const history = new History(options.historySize ?? 360, refreshSeconds * 1000 * 0.9)
  let assets: Promise<ReadonlyMap<string, Asset>> | undefined

  const app = new Hono({ strict: false }).basePath(options.basePath ?? '/')
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    }),
  )
  app.onError((error, c) => {
    const status = isQueueError(error) ? (STATUS[error.code] ?? 500) : 500
    const code = isQueueError(error) ? error.code : 'INTERNAL'
    return c.json({ error: { code, message: error.message } }, status)
  })
  app.get('/', (c) => {
    // Relative asset URLs need the trailing slash.
    const url = new URL(c.req.url)
    if (!url.pathname.endsWith('/')) return c.redirect(`${url.pathname}/${url.search}`, 308)
    return c.html(renderPage(title, refreshSeconds))
  })
  app.get('/assets/:file', async (c) => {
    assets ??= loadAssets()
    const asset = (await assets).get(c.req.param('file'))
    if (!asset) return c.notFound()
    return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'no-cache' })
  })
  app.get('/api/overview', async (c) => {
    const targets = await reader.read()
    history.add(Date.now(), targets, metrics.consumerTotals())
    const { stats, peek } = client.capabilities
    return c.json({
      title,
      refreshSeconds,
      capabilities: { stats, peek },
      targets,
      history: history.samples(),
    })
  })
  app.get('/api/messages', async (c) => {
    const queue = await reader.resolve(c.req.query('queue') ?? '')
    return c.json({ messages: await peekShown(queue, Number(c.req.query('max') ?? 50)) })
  })
  app.post('/api/redrive', async (c) => {
    const body = await confirmed(c)
    const from = await reader.resolve(body.queue)
    const to = await reader.resolve(typeof body.to === 'string' ? body.to : '')
    return c.json({ moved: await redrive(from, to) })
  })
  app.post('/api/purge', async (c) => {
    const body = await confirmed(c)
    const queue = await reader.resolve(body.queue)
    return c.json({ deleted: await purgeVisible(queue, options.purgeLimit ?? 100_000) })
  })
  app.get('/metrics', async (c) =>
    c.body(await metrics.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  )

  const fetch = async (request: Request) => app.fetch(request)
  return { fetch, handle: getRequestListener(fetch), metrics }
}

/**
 * The JSON body of a change, which must repeat the queue's name in `confirm`. Only JSON is taken:
 * a page of another site cannot send it without a CORS preflight, which the dashboard never grants.
 */
async function confirmed(c: Context): Promise<{ queue: string; to?: unknown }> {
  if (!(c.req.header('content-type') ?? '').startsWith('application/json')) {
    throw new QueueError('INVALID_ARGUMENT', 'a change needs a JSON body (content-type: application/json)', {
      field: 'content-type',
    })
  }
  const body = (await c.req.json().catch(() => undefined)) as Record<string, unknown> | undefined
  const queue = body?.queue
  if (typeof queue !== 'string' || body?.confirm !== queue) {
    throw new QueueError('INVALID_ARGUMENT', 'a change must repeat the queue name in "confirm"', {
      field: 'confirm',
    })
  }
  return { queue, to: body.to }
}
