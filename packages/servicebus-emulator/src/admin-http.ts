import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { XMLParser } from 'fast-xml-parser'
import { type Credentials, tokenProblem } from './auth.js'
import type { Broker, Entity } from './broker.js'
import { type EntityProperties, parseDuration } from './config.js'

// The management REST API ServiceBusAdministrationClient speaks (ATOM XML over HTTP(S), as on
// Microsoft's emulator's port 5300): queues — create, get, update, delete, list, runtime
// properties — and GET /health. Topics, subscriptions and rules are not served here yet.

const ATOM = 'http://www.w3.org/2005/Atom'
const SB = 'http://schemas.microsoft.com/netservices/2010/10/servicebus/connect'
const SB_COUNTS = 'http://schemas.microsoft.com/netservices/2011/06/servicebus'
/** .NET's TimeSpan.MaxValue, what Service Bus reports for "never". */
const NEVER = 'P10675199DT2H48M5.4775807S'

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false })

export interface AdminServer {
  readonly port: number
  close(): Promise<void>
}

/** Starts the management API; HTTPS when given a certificate (the JS SDK only dials HTTPS). */
export async function startAdminServer(
  broker: Broker,
  credentials: Credentials,
  options: { host: string; port: number; tls?: { key: string | Buffer; cert: string | Buffer } | undefined },
  onError: (error: unknown) => void,
): Promise<AdminServer> {
  const created = new Map<string, Date>()
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (c: Buffer) => chunks.push(c))
    request.on('end', () => {
      try {
        const [status, text, type] = handle(
          broker,
          credentials,
          created,
          request,
          Buffer.concat(chunks).toString('utf8'),
        )
        reply(response, status, text, type)
      } catch (error) {
        onError(error)
        reply(response, 500, errorXml(500, String((error as Error)?.message ?? error)))
      }
    })
  }
  const server: Server = options.tls
    ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : createHttpServer(handler)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve())
  })
  server.on('error', onError)
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Status, body and, when not ATOM, content type. */
type Answer = [number, string, string?]

function handle(
  broker: Broker,
  credentials: Credentials,
  created: Map<string, Date>,
  request: IncomingMessage,
  body: string,
): Answer {
  const url = new URL(request.url ?? '/', 'http://emulator')
  const path = decodeURIComponent(url.pathname.replace(/^\/+/, ''))
  if (request.method === 'GET' && path.toLowerCase() === 'health')
    return [200, JSON.stringify({ status: 'healthy' }), 'application/json']
  const problem = tokenProblem(request.headers.authorization, credentials)
  if (problem !== undefined) return [401, errorXml(401, problem)]
  const base = `https://${request.headers.host ?? 'localhost'}`
  if (path.includes('/')) {
    if (path.toLowerCase() === '$resources/queues' && request.method === 'GET') {
      const skip = Number(url.searchParams.get('$skip') ?? 0)
      const top = Number(url.searchParams.get('$top') ?? 100)
      const names = broker.queueNames().slice(skip, skip + top)
      const entries = names.map((n) => queueEntry(base, n, broker.receivable(n), created))
      return [200, feed(`${base}/$Resources/queues`, entries)]
    }
    // Topics, subscriptions and rules: not served yet — an empty feed, which the SDK reads as "none".
    return [200, feed(`${base}/${path}`, [])]
  }
  const name = path
  switch (request.method) {
    case 'GET': {
      if (!broker.hasQueue(name)) return [200, feed(`${base}/${name}`, [])]
      return [200, queueEntry(base, name, broker.receivable(name), created)]
    }
    case 'PUT': {
      const description = readDescription(body)
      const update = request.headers['if-match'] === '*'
      if (update) {
        if (!broker.hasQueue(name)) return [404, errorXml(404, `The queue '${name}' does not exist.`)]
        Object.assign(broker.receivable(name).properties, description)
      } else {
        if (broker.hasQueue(name) || broker.hasTopic(name))
          return [409, errorXml(409, `The messaging entity '${name}' already exists.`)]
        try {
          broker.addQueue({ name, properties: description })
        } catch (error) {
          return [400, errorXml(400, (error as Error).message)]
        }
        created.set(name.toLowerCase(), new Date())
      }
      return [update ? 200 : 201, queueEntry(base, name, broker.receivable(name), created)]
    }
    case 'DELETE': {
      if (!broker.hasQueue(name) || !broker.deleteEntity(name))
        return [404, errorXml(404, `The messaging entity '${name}' could not be found.`)]
      created.delete(name.toLowerCase())
      return [200, '']
    }
    default:
      return [405, errorXml(405, `${request.method} is not supported.`)]
  }
}

/** The queue settings a QueueDescription carries, as the broker keeps them. */
function readDescription(body: string): Partial<EntityProperties> {
  const parsed = parser.parse(body) as { entry?: { content?: { QueueDescription?: Record<string, string> } } }
  const d = parsed.entry?.content?.QueueDescription ?? {}
  const duration = (key: string) => (d[key] === undefined ? undefined : parseDuration(String(d[key]), key))
  const flag = (key: string) => (d[key] === undefined ? undefined : String(d[key]) === 'true')
  const target = (key: string) => (d[key] ? String(d[key]).replace(/^[a-z]+:\/\/[^/]+\//i, '') : undefined)
  const properties: Partial<EntityProperties> = {
    lockDurationMs: duration('LockDuration'),
    maxDeliveryCount: d.MaxDeliveryCount === undefined ? undefined : Number(d.MaxDeliveryCount),
    defaultMessageTimeToLiveMs:
      d.DefaultMessageTimeToLive === NEVER ? undefined : duration('DefaultMessageTimeToLive'),
    deadLetteringOnMessageExpiration: flag('DeadLetteringOnMessageExpiration'),
    requiresDuplicateDetection: flag('RequiresDuplicateDetection'),
    duplicateDetectionHistoryTimeWindowMs: duration('DuplicateDetectionHistoryTimeWindow'),
    requiresSession: flag('RequiresSession'),
    forwardTo: target('ForwardTo'),
    forwardDeadLetteredMessagesTo: target('ForwardDeadLetteredMessagesTo'),
  }
  return Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined))
}

function iso(ms: number): string {
  const s = ms / 1000
  const days = Math.floor(s / 86_400)
  const rest = s - days * 86_400
  const h = Math.floor(rest / 3600)
  const m = Math.floor((rest - h * 3600) / 60)
  const sec = Math.round((rest - h * 3600 - m * 60) * 1000) / 1000
  return `P${days ? `${days}D` : ''}T${h ? `${h}H` : ''}${m ? `${m}M` : ''}${sec || (!h && !m) ? `${sec}S` : ''}`
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  )

function queueEntry(base: string, name: string, entity: Entity, created: Map<string, Date>): string {
  const p = entity.properties
  const counts = entity.counts()
  const dead = entity.deadLetterQueue?.messages.size ?? 0
  const at = (created.get(name.toLowerCase()) ?? new Date(0)).toISOString()
  const now = new Date().toISOString()
  const fields: Array<[string, string | number | boolean]> = [
    ['LockDuration', iso(p.lockDurationMs)],
    ['MaxSizeInMegabytes', 1024],
    ['RequiresDuplicateDetection', p.requiresDuplicateDetection],
    ['RequiresSession', p.requiresSession],
    ['DefaultMessageTimeToLive', iso(p.defaultMessageTimeToLiveMs)],
    ['DeadLetteringOnMessageExpiration', p.deadLetteringOnMessageExpiration],
    ['DuplicateDetectionHistoryTimeWindow', iso(p.duplicateDetectionHistoryTimeWindowMs)],
    ['MaxDeliveryCount', p.maxDeliveryCount],
    ['EnableBatchedOperations', true],
    ['SizeInBytes', 0],
    ['MessageCount', entity.messages.size + dead],
    ['IsAnonymousAccessible', false],
    ['Status', 'Active'],
    ...(p.forwardTo ? [['ForwardTo', p.forwardTo] as [string, string]] : []),
    ['CreatedAt', at],
    ['UpdatedAt', at],
    ['AccessedAt', now],
    ['SupportOrdering', true],
  ]
  const countDetails =
    `<CountDetails xmlns:d2p1="${SB_COUNTS}">` +
    `<d2p1:ActiveMessageCount>${counts.active + counts.locked}</d2p1:ActiveMessageCount>` +
    `<d2p1:DeadLetterMessageCount>${dead}</d2p1:DeadLetterMessageCount>` +
    `<d2p1:ScheduledMessageCount>${counts.scheduled}</d2p1:ScheduledMessageCount>` +
    '<d2p1:TransferMessageCount>0</d2p1:TransferMessageCount>' +
    '<d2p1:TransferDeadLetterMessageCount>0</d2p1:TransferDeadLetterMessageCount></CountDetails>'
  const tail: Array<[string, string | boolean]> = [
    ['AutoDeleteOnIdle', NEVER],
    ['EnablePartitioning', false],
    ['EntityAvailabilityStatus', 'Available'],
    ['EnableExpress', false],
    ...(p.forwardDeadLetteredMessagesTo
      ? [['ForwardDeadLetteredMessagesTo', p.forwardDeadLetteredMessagesTo] as [string, string]]
      : []),
  ]
  const xml = (list: Array<[string, string | number | boolean]>) =>
    list.map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`).join('')
  return (
    `<entry xmlns="${ATOM}"><id>${escapeXml(`${base}/${name}?api-version=2021-05`)}</id>` +
    `<title type="text">${escapeXml(name)}</title><published>${at}</published><updated>${at}</updated>` +
    `<content type="application/xml"><QueueDescription xmlns="${SB}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
    `${xml(fields)}<AuthorizationRules></AuthorizationRules>${countDetails}${xml(tail)}` +
    '</QueueDescription></content></entry>'
  )
}

function feed(id: string, entries: string[]): string {
  return `<feed xmlns="${ATOM}"><title type="text">Publicly Listed Services</title><id>${escapeXml(id)}</id><updated>${new Date().toISOString()}</updated>${entries.join('')}</feed>`
}

function errorXml(code: number, detail: string): string {
  return `<Error><Code>${code}</Code><Detail>${escapeXml(detail)}</Detail></Error>`
}

function reply(
  response: ServerResponse,
  status: number,
  body: string,
  type = 'application/atom+xml;type=entry;charset=utf-8',
): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  response.end(body)
}
