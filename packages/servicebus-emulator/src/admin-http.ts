import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import {
  errorXml,
  feed,
  queueEntry,
  readDescription,
  readRule,
  ruleEntry,
  subscriptionEntry,
  topicEntry,
} from './atom.js'
import { type Credentials, tokenProblem } from './auth.js'
import type { Broker } from './broker.js'
import { ConfigError } from './config.js'
import type { Entity } from './entity.js'
import { compileRule, type Rule } from './rules.js'
import { topicSettings } from './topic-settings.js'

// The management REST API ServiceBusAdministrationClient speaks (ATOM XML over HTTP(S), as on
// Microsoft's emulator's port 5300): queues, topics and subscriptions — create, get, update,
// delete, list, runtime properties — their rules, and GET /health.

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
        // A description the emulator cannot read is the client's error, as on Service Bus.
        if (error instanceof ConfigError) return reply(response, 400, errorXml(400, error.message))
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
    return list(
      broker
        .topicNames()
        .map((n) => topicEntry(base, n, broker.topicProperties(n)!, broker.subscriptions(n)!, born(n))),
    )
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
      : topicEntry(base, name, broker.topicProperties(name)!, broker.subscriptions(name)!, born())
  const exists = broker.hasQueue(name) || broker.hasTopic(name)
  switch (request.method) {
    case 'GET':
      return exists ? [200, show()] : [200, feed(`${base}/${name}`, [])]
    case 'PUT': {
      const { root, properties } = readDescription(body)
      if (request.headers['if-match'] === '*') {
        if (!exists) return [404, errorXml(404, `The messaging entity '${name}' does not exist.`)]
        if (broker.hasQueue(name)) Object.assign(broker.receivable(name).properties, properties)
        else Object.assign(broker.topicProperties(name)!, topicSettings(properties))
        return [200, show()]
      }
      if (exists) return [409, errorXml(409, `The messaging entity '${name}' already exists.`)]
      try {
        if (root === 'TopicDescription') {
          broker.addTopic({ name, properties: topicSettings(properties) })
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

function reply(
  response: ServerResponse,
  status: number,
  body: string,
  type = 'application/atom+xml;type=entry;charset=utf-8',
): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  response.end(body)
}

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
