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
import { type CorrelationField, type EntityProperties, parseDuration, type RuleFilter } from './config.js'
import { compileRule, type Rule } from './rules.js'

// The management REST API ServiceBusAdministrationClient speaks (ATOM XML over HTTP(S), as on
// Microsoft's emulator's port 5300): queues, topics and subscriptions — create, get, update,
// delete, list, runtime properties — their rules, and GET /health.

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
  const path = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''))
  if (request.method === 'GET' && path.toLowerCase() === 'health')
    return [200, JSON.stringify({ status: 'healthy' }), 'application/json']
  const problem = tokenProblem(request.headers.authorization, credentials)
  if (problem !== undefined) return [401, errorXml(401, problem)]
  const base = `https://${request.headers.host ?? 'localhost'}`
  const skip = Number(url.searchParams.get('$skip') ?? 0)
  const top = Number(url.searchParams.get('$top') ?? 100)
  const list = (entries: string[]): Answer => [200, feed(`${base}/${path}`, entries.slice(skip, skip + top))]
  const born = (key: string) => created.get(key.toLowerCase()) ?? new Date(0)
  const lower = path.toLowerCase()
  if (request.method === 'GET' && lower === '$resources/queues')
    return list(broker.queueNames().map((n) => queueEntry(base, n, broker.receivable(n), born(n))))
  if (request.method === 'GET' && lower === '$resources/topics')
    return list(broker.topicNames().map((n) => topicEntry(base, n, broker.subscriptions(n)!, born(n))))
  if (/\/rules(\/|$)/i.test(path)) return rules(broker, request, body, base, path, list)
  const subs = /^(.+)\/subscriptions$/i.exec(path)
  if (subs && request.method === 'GET') {
    const entities = [...(broker.subscriptions(subs[1]!)?.values() ?? [])]
    return list(entities.map((e) => subscriptionEntry(base, e, born(e.path))))
  }
  const sub = /^(.+)\/subscriptions\/([^/]+)$/i.exec(path)
  if (sub) return subscription(broker, created, request, body, base, sub[1]!, sub[2]!)
  if (path === '' || path.includes('$')) return [404, errorXml(404, `No such resource: '${path}'.`)]
  return queueOrTopic(broker, created, request, body, base, path)
}

function queueOrTopic(
  broker: Broker,
  created: Map<string, Date>,
  request: IncomingMessage,
  body: string,
  base: string,
  name: string,
): Answer {
  const born = () => created.get(name.toLowerCase()) ?? new Date(0)
  const show = () =>
    broker.hasQueue(name)
      ? queueEntry(base, name, broker.receivable(name), born())
      : topicEntry(base, name, broker.subscriptions(name)!, born())
  const exists = broker.hasQueue(name) || broker.hasTopic(name)
  switch (request.method) {
    case 'GET':
      return exists ? [200, show()] : [200, feed(`${base}/${name}`, [])]
    case 'PUT': {
      const { root, properties } = readDescription(body)
      if (request.headers['if-match'] === '*') {
        if (!exists) return [404, errorXml(404, `The messaging entity '${name}' does not exist.`)]
        if (broker.hasQueue(name)) Object.assign(broker.receivable(name).properties, properties)
        return [200, show()]
      }
      if (exists) return [409, errorXml(409, `The messaging entity '${name}' already exists.`)]
      try {
        if (root === 'TopicDescription') {
          const ttl = properties.defaultMessageTimeToLiveMs
          broker.addTopic({ name, properties: ttl === undefined ? {} : { defaultMessageTimeToLiveMs: ttl } })
        } else broker.addQueue({ name, properties })
      } catch (error) {
        return [400, errorXml(400, (error as Error).message)]
      }
      created.set(name.toLowerCase(), new Date())
      return [201, show()]
    }
    case 'DELETE':
      if (!exists || !broker.deleteEntity(name))
        return [404, errorXml(404, `The messaging entity '${name}' could not be found.`)]
      created.delete(name.toLowerCase())
      return [200, '']
    default:
      return [405, errorXml(405, `${request.method} is not supported.`)]
  }
}

function subscription(
  broker: Broker,
  created: Map<string, Date>,
  request: IncomingMessage,
  body: string,
  base: string,
  topic: string,
  name: string,
): Answer {
  const subscriptions = broker.subscriptions(topic)
  const entity = subscriptions?.get(name.toLowerCase())
  const born = (e: Entity) => created.get(e.path.toLowerCase()) ?? new Date(0)
  switch (request.method) {
    case 'GET':
      return entity
        ? [200, subscriptionEntry(base, entity, born(entity))]
        : [200, feed(`${base}/${topic}`, [])]
    case 'PUT': {
      const { properties } = readDescription(body)
      if (request.headers['if-match'] === '*') {
        if (!entity) return [404, errorXml(404, `The subscription '${name}' does not exist.`)]
        Object.assign(entity.properties, properties)
        return [200, subscriptionEntry(base, entity, born(entity))]
      }
      if (!subscriptions) return [404, errorXml(404, `The topic '${topic}' does not exist.`)]
      if (entity) return [409, errorXml(409, `The subscription '${name}' already exists.`)]
      try {
        const added = broker.addSubscription(topic, { name, properties })
        created.set(added.path.toLowerCase(), new Date())
        return [201, subscriptionEntry(base, added, born(added))]
      } catch (error) {
        return [400, errorXml(400, (error as Error).message)]
      }
    }
    case 'DELETE':
      if (!entity || !broker.deleteSubscription(topic, name))
        return [404, errorXml(404, `The subscription '${topic}/Subscriptions/${name}' could not be found.`)]
      return [200, '']
    default:
      return [405, errorXml(405, `${request.method} is not supported.`)]
  }
}

/** The settings a Queue-, Topic- or SubscriptionDescription carries, as the broker keeps them. */
function readDescription(body: string): { root: string; properties: Partial<EntityProperties> } {
  const parsed = parser.parse(body) as { entry?: { content?: Record<string, Record<string, string>> } }
  const content = parsed.entry?.content ?? {}
  const root = Object.keys(content).find((k) => k.endsWith('Description')) ?? 'QueueDescription'
  const d = content[root] ?? {}
  const duration = (key: string) =>
    d[key] === undefined || d[key] === NEVER ? undefined : parseDuration(String(d[key]), key)
  const flag = (key: string) => (d[key] === undefined ? undefined : String(d[key]) === 'true')
  const target = (key: string) => (d[key] ? String(d[key]).replace(/^[a-z]+:\/\/[^/]+\//i, '') : undefined)
  const properties: Partial<EntityProperties> = {
    lockDurationMs: duration('LockDuration'),
    maxDeliveryCount: d.MaxDeliveryCount === undefined ? undefined : Number(d.MaxDeliveryCount),
    defaultMessageTimeToLiveMs: duration('DefaultMessageTimeToLive'),
    deadLetteringOnMessageExpiration: flag('DeadLetteringOnMessageExpiration'),
    requiresDuplicateDetection: flag('RequiresDuplicateDetection'),
    duplicateDetectionHistoryTimeWindowMs: duration('DuplicateDetectionHistoryTimeWindow'),
    requiresSession: flag('RequiresSession'),
    forwardTo: target('ForwardTo'),
    forwardDeadLetteredMessagesTo: target('ForwardDeadLetteredMessagesTo'),
  }
  return {
    root,
    properties: Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined)),
  }
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

type Fields = Array<[string, string | number | boolean | undefined]>

function countDetails(active: number, dead: number, scheduled: number): string {
  return (
    `<CountDetails xmlns:d2p1="${SB_COUNTS}">` +
    `<d2p1:ActiveMessageCount>${active}</d2p1:ActiveMessageCount>` +
    `<d2p1:DeadLetterMessageCount>${dead}</d2p1:DeadLetterMessageCount>` +
    `<d2p1:ScheduledMessageCount>${scheduled}</d2p1:ScheduledMessageCount>` +
    '<d2p1:TransferMessageCount>0</d2p1:TransferMessageCount>' +
    '<d2p1:TransferDeadLetterMessageCount>0</d2p1:TransferDeadLetterMessageCount></CountDetails>'
  )
}

/** An ATOM entry: the SDK takes the entity's name from its id, and its settings from `root`. */
function entry(base: string, path: string, root: string, fields: Fields, born: Date, counts: string): string {
  const at = born.toISOString()
  const xml = fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('')
  return (
    `<entry xmlns="${ATOM}"><id>${escapeXml(`${base}/${path}?api-version=2021-05`)}</id>` +
    `<title type="text">${escapeXml(path.split('/').at(-1)!)}</title><published>${at}</published><updated>${at}</updated>` +
    `<content type="application/xml"><${root} xmlns="${SB}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
    `${xml}<CreatedAt>${at}</CreatedAt><UpdatedAt>${at}</UpdatedAt><AccessedAt>${new Date().toISOString()}</AccessedAt>` +
    `<AuthorizationRules></AuthorizationRules>${counts}</${root}></content></entry>`
  )
}

const COMMON: Fields = [
  ['Status', 'Active'],
  ['EntityAvailabilityStatus', 'Available'],
  ['AutoDeleteOnIdle', NEVER],
  ['EnableBatchedOperations', true],
  ['EnablePartitioning', false],
  ['EnableExpress', false],
  ['SizeInBytes', 0],
  ['IsAnonymousAccessible', false],
]

function entityFields(p: EntityProperties): Fields {
  return [
    ['LockDuration', iso(p.lockDurationMs)],
    ['MaxDeliveryCount', p.maxDeliveryCount],
    ['RequiresSession', p.requiresSession],
    ['DefaultMessageTimeToLive', iso(p.defaultMessageTimeToLiveMs)],
    ['DeadLetteringOnMessageExpiration', p.deadLetteringOnMessageExpiration],
    ['ForwardTo', p.forwardTo],
    ['ForwardDeadLetteredMessagesTo', p.forwardDeadLetteredMessagesTo],
  ]
}

function queueEntry(base: string, name: string, entity: Entity, born: Date): string {
  const p = entity.properties
  const c = entity.counts()
  const dead = entity.deadLetterQueue?.messages.size ?? 0
  const fields: Fields = [
    ...entityFields(p),
    ['MaxSizeInMegabytes', 1024],
    ['RequiresDuplicateDetection', p.requiresDuplicateDetection],
    ['DuplicateDetectionHistoryTimeWindow', iso(p.duplicateDetectionHistoryTimeWindowMs)],
    ['MessageCount', entity.messages.size + dead],
    ['SupportOrdering', true],
    ...COMMON,
  ]
  return entry(
    base,
    name,
    'QueueDescription',
    fields,
    born,
    countDetails(c.active + c.locked + c.deferred, dead, c.scheduled),
  )
}

function topicEntry(base: string, name: string, subscriptions: Map<string, Entity>, born: Date): string {
  const fields: Fields = [
    ['MaxSizeInMegabytes', 1024],
    ['DefaultMessageTimeToLive', NEVER],
    ['RequiresDuplicateDetection', false],
    ['DuplicateDetectionHistoryTimeWindow', 'PT10M'],
    ['SupportOrdering', true],
    ['SubscriptionCount', subscriptions.size],
    ...COMMON,
  ]
  return entry(base, name, 'TopicDescription', fields, born, countDetails(0, 0, 0))
}

function subscriptionEntry(base: string, entity: Entity, born: Date): string {
  const c = entity.counts()
  const dead = entity.deadLetterQueue?.messages.size ?? 0
  const fields: Fields = [
    ...entityFields(entity.properties),
    ['DeadLetteringOnFilterEvaluationExceptions', true],
    ['MessageCount', entity.messages.size + dead],
    ...COMMON,
  ]
  return entry(
    base,
    entity.path,
    'SubscriptionDescription',
    fields,
    born,
    countDetails(c.active + c.locked + c.deferred, dead, c.scheduled),
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

const ruleParser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, parseTagValue: false })
const XSD = 'http://www.w3.org/2001/XMLSchema'

function rules(
  broker: Broker,
  request: IncomingMessage,
  body: string,
  base: string,
  path: string,
  list: (entries: string[]) => Answer,
): Answer {
  const match = /^(.+)\/subscriptions\/([^/]+)\/rules(?:\/([^/]+))?$/i.exec(path)
  const subscription = match && broker.subscriptions(match[1]!)?.get(match[2]!.toLowerCase())
  if (!match || !subscription?.rules) return list([])
  const ruleList = subscription.rules
  const prefix = `${subscription.path}/Rules`
  const name = match[3]
  if (name === undefined)
    return request.method === 'GET'
      ? list(ruleList.map((r) => ruleEntry(base, prefix, r)))
      : [405, errorXml(405, 'Only GET lists rules.')]
  const index = ruleList.findIndex((r) => r.name.toLowerCase() === name.toLowerCase())
  switch (request.method) {
    case 'GET':
      return index < 0 ? [200, feed(`${base}/${path}`, [])] : [200, ruleEntry(base, prefix, ruleList[index]!)]
    case 'PUT': {
      const update = request.headers['if-match'] === '*'
      if (update && index < 0) return [404, errorXml(404, `The rule '${name}' does not exist.`)]
      if (!update && index >= 0) return [409, errorXml(409, `The rule '${name}' already exists.`)]
      let rule: Rule
      try {
        rule = compileRule({ ...readRule(body), name }, name)
      } catch (error) {
        return [400, errorXml(400, (error as Error).message)]
      }
      if (update) ruleList[index] = rule
      else ruleList.push(rule)
      return [update ? 200 : 201, ruleEntry(base, prefix, rule)]
    }
    case 'DELETE':
      if (index < 0) return [404, errorXml(404, `The rule '${name}' could not be found.`)]
      ruleList.splice(index, 1)
      return [200, '']
    default:
      return [405, errorXml(405, `${request.method} is not supported.`)]
  }
}

type Node = Record<string, unknown>
const text = (node: unknown): string | undefined =>
  node === undefined || node === null || node === ''
    ? undefined
    : typeof node === 'object'
      ? String((node as Node)['#text'] ?? '')
      : String(node)

/** A RuleDescription: a SQL or correlation filter and an optional SQL action. */
function readRule(body: string): RuleFilter {
  const parsed = ruleParser.parse(body) as { entry?: { content?: { RuleDescription?: Node } } }
  const d = parsed.entry?.content?.RuleDescription ?? {}
  const filter = (d.Filter ?? {}) as Node
  const action = text((d.Action as Node | undefined)?.SqlExpression)
  const named = action === undefined ? {} : { action }
  const sql = text(filter.SqlExpression)
  if (sql !== undefined) return { type: 'sql', expression: sql, ...named }
  const system: Partial<Record<CorrelationField, string>> = {}
  for (const [tag, field] of CORRELATION_TAGS) {
    const value = text(filter[tag])
    if (value !== undefined) system[field] = value
  }
  const properties: Record<string, string | number | boolean> = {}
  const pairs = (filter.Properties as Node | undefined)?.KeyValueOfstringanyType
  for (const pair of (Array.isArray(pairs) ? pairs : pairs ? [pairs] : []) as Node[]) {
    const value = pair.Value as Node
    const raw = text(value) ?? ''
    const type = String(value['@_type'] ?? '')
      .split(':')
      .at(-1)
    properties[String(text(pair.Key))] =
      type === 'boolean' ? raw === 'true' : type === 'int' || type === 'double' ? Number(raw) : raw
  }
  return { type: 'correlation', system, properties, ...named }
}

const CORRELATION_TAGS: Array<[string, CorrelationField]> = [
  ['CorrelationId', 'correlationId'],
  ['MessageId', 'messageId'],
  ['To', 'to'],
  ['ReplyTo', 'replyTo'],
  ['Label', 'subject'],
  ['SessionId', 'sessionId'],
  ['ReplyToSessionId', 'replyToSessionId'],
  ['ContentType', 'contentType'],
]

function ruleEntry(base: string, prefix: string, rule: Rule): string {
  const d = rule.definition
  const tag = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`
  let filter: string
  if (d.type === 'correlation') {
    const props = Object.entries(d.properties)
      .map(([k, v]) => {
        const type = typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'double') : typeof v
        return `<KeyValueOfstringanyType><Key>${escapeXml(k)}</Key><Value i:type="d6p1:${type}" xmlns:d6p1="${XSD}">${escapeXml(String(v))}</Value></KeyValueOfstringanyType>`
      })
      .join('')
    filter = `<Filter i:type="CorrelationFilter">${CORRELATION_TAGS.map(([t, f]) => tag(t, d.system[f])).join('')}<Properties>${props}</Properties></Filter>`
  } else {
    const [type, expression] =
      d.type === 'sql'
        ? ['SqlFilter', d.expression]
        : d.type === 'true'
          ? ['TrueFilter', '1=1']
          : ['FalseFilter', '1=0']
    filter = `<Filter i:type="${type}">${tag('SqlExpression', expression)}<CompatibilityLevel>20</CompatibilityLevel></Filter>`
  }
  const action =
    d.action === undefined
      ? '<Action i:type="EmptyRuleAction"></Action>'
      : `<Action i:type="SqlRuleAction">${tag('SqlExpression', d.action)}<CompatibilityLevel>20</CompatibilityLevel></Action>`
  const at = new Date(0).toISOString()
  return (
    `<entry xmlns="${ATOM}"><id>${escapeXml(`${base}/${prefix}/${rule.name}?api-version=2021-05`)}</id>` +
    `<title type="text">${escapeXml(rule.name)}</title><published>${at}</published><updated>${at}</updated>` +
    `<content type="application/xml"><RuleDescription xmlns="${SB}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
    `${filter}${action}<CreatedAt>${at}</CreatedAt>${tag('Name', rule.name)}</RuleDescription></content></entry>`
  )
}
