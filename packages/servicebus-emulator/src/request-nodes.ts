import type rhea from 'rhea'
import type { Connection, EventContext, Sender } from 'rhea'
import { types } from './amqp.js'
import { type Credentials, tokenProblem } from './auth.js'
import type { Broker } from './broker.js'
import { management, type Reply } from './management.js'
import { deliveryOf, linkOf, outcomes } from './rhea-internals.js'

/** The request/response nodes: `$cbs` and every `<entity>/$management`. */
const MANAGEMENT_SUFFIX = /\/\$management$/i

const nodeKey = (address: string) => `node:${address.toLowerCase()}`

/** Whether `address` names a request/response node rather than an entity. */
export const isRequestNode = (address: string) => address === '$cbs' || MANAGEMENT_SUFFIX.test(address)

/**
 * The request/response nodes a client talks to over a pair of links: requests arrive on a link to
 * the node, and each reply goes back on the client's receiving link that the request's `reply_to`
 * names (or, without one, the connection's latest receiver of that node).
 */
export class RequestNodes {
  /** Reply links of each connection, by link name and by target address (either may be the reply_to). */
  readonly #replyLinks = new WeakMap<Connection, Map<string, Sender>>()

  readonly #broker: Broker
  readonly #credentials: Credentials

  constructor(broker: Broker, credentials: Credentials) {
    this.#broker = broker
    this.#credentials = credentials
  }

  /** A client's receiver of node `address`: where replies go. */
  addReplyLink(connection: Connection, link: Sender, address: string, target: string | undefined): void {
    const map = this.#replyLinks.get(connection) ?? new Map<string, Sender>()
    this.#replyLinks.set(connection, map)
    map.set(link.name, link)
    if (target) map.set(target, link)
    // A request without reply_to is answered on the connection's latest receiver of that node.
    map.set(nodeKey(address), link)
  }

  removeReplyLink(connection: Connection, link: Sender): void {
    const map = this.#replyLinks.get(connection)
    if (map) for (const [key, value] of map) if (value === link) map.delete(key)
  }

  /** Answers a request that arrived for node `address`. A request the node refuses throws. */
  handle(context: EventContext, address: string): void {
    const reply =
      address === '$cbs'
        ? cbs(context.message!, this.#credentials)
        : management(this.#broker, address.replace(MANAGEMENT_SUFFIX, ''), context.message!)
    this.#respond(context, reply)
  }

  /** Sends a node's reply on the link the request named in `reply_to`. */
  #respond(context: EventContext, reply: Reply): void {
    const request = context.message!
    settleNow(context)
    const links = this.#replyLinks.get(context.connection)
    const node = linkOf(context.receiver!).remote.attach.target?.address ?? ''
    const link = (request.reply_to ? links?.get(request.reply_to) : undefined) ?? links?.get(nodeKey(node))
    if (!link) return
    link.send({
      to: request.reply_to,
      correlation_id: request.message_id ?? request.correlation_id,
      application_properties: reply.properties,
      body: reply.body,
    } as never)
  }
}

/** A `$cbs` put-token reply: 200 for a valid shared access signature, 401 as the service refuses one. */
function cbs(request: rhea.Message, credentials: Credentials): Reply {
  const name = request.application_properties?.name
  const problem = tokenProblem(
    request.body,
    credentials,
    Date.now(),
    typeof name === 'string' ? name : undefined,
  )
  if (problem === undefined)
    return { properties: { 'status-code': types.wrap_int(200), 'status-description': 'OK' } }
  return {
    properties: {
      'status-code': types.wrap_int(401),
      'status-description': problem,
      'error-condition': 'amqp:unauthorized-access',
    },
  }
}

/**
 * Accepts and settles a request's delivery and writes that disposition at once. rhea would write a
 * session's transfers before its dispositions, so the reply would reach the client before the
 * settlement of its request; clients on uamqp (Microsoft's Python SDK) crash on that order. Service
 * Bus settles first, then replies.
 */
function settleNow(context: EventContext): void {
  deliveryOf(context.delivery!).update(true, outcomes.accepted().described())
  const session = linkOf(context.receiver!).session
  session.incoming.process(session)
}
