import type { AddressInfo, Server, Socket } from 'node:net'
import rhea, { type Connection, type EventContext, type Receiver, type Sender } from 'rhea'
import {
  encodeStored,
  lockTokenToDeliveryTag,
  parseMessage,
  type StoredBody,
  unpackTransfer,
  uuidToBytes,
} from './amqp.js'
import { type Credentials, DEFAULT_KEY, DEFAULT_KEY_NAME } from './auth.js'
import {
  Broker,
  BrokerError,
  CONDITIONS,
  type CreateQueueOptions,
  type Entity,
  type Lock,
  lockLost,
  type Outlet,
  STATE_CODE,
  type StoredMessage,
} from './broker.js'
import { checkForwarding, parseConfig, parseDuration, type Topology } from './config.js'
import { cbs, management, type Reply, tokenOf, withMessageId } from './management.js'
import {
  type AttachFrame,
  type DeliveryInternals,
  deliveryOf,
  linkOf,
  outcomes,
  patchRhea,
  RAW_MESSAGE,
} from './rhea-internals.js'
import { saslMechanisms } from './sasl.js'
import { acceptSession, sessionMismatch, wantsSession } from './session-links.js'
import type { SessionLock } from './sessions.js'
import { type TlsOptions, tlsCertificate } from './tls.js'

patchRhea()

/** The largest frame we accept, as Service Bus advertises it; larger messages span frames. */
export const MAX_FRAME_SIZE = 65_536

/** An AMQP frame with no body: size 8, data offset 2, type AMQP, channel 0. Peers read it as a heartbeat. */
const EMPTY_FRAME = Buffer.from([0, 0, 0, 8, 2, 0, 0, 0])

/** The largest message (or batch) a sender may transfer, as a standard-tier namespace allows. */
export const MAX_MESSAGE_SIZE = 262_144

export interface EmulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string
  /**
   * The topology: a `Config.json` as Microsoft's emulator reads it (its text, or the parsed
   * object), or the programmatic form `{ queues, topics }`.
   */
  config?: string | object | Topology
  /** The largest message a client may send, in bytes. Default 262,144. */
  maxMessageSize?: number
  /**
   * A client must finish the AMQP handshake within this many ms, or its socket is closed: a peer
   * that sends junk (or announces a 4 GiB frame) cannot hold a connection slot. Default 10,000.
   */
  handshakeTimeoutMs?: number
  /**
   * The shared access key clients sign `$cbs` tokens (and SASL PLAIN logins) with, and its name.
   * Defaults: Microsoft's emulator's, `SAS_KEY_VALUE` named `RootManageSharedAccessKey`, which the
   * printed connection string carries. A token signed with another key is refused (401,
   * `UnauthorizedAccess`) unless `allowAnyKey`.
   */
  sharedAccessKey?: string
  sharedAccessKeyName?: string
  /** Accept any token and any PLAIN login, as Microsoft's emulator does. Default false. */
  allowAnyKey?: boolean
  /**
   * Also listen for AMQPS (TLS), for SDKs that always dial it: `true` for a generated self-signed
   * certificate, or the port and a PEM key and certificate. Default: plain AMQP only.
   */
  tls?: boolean | TlsOptions
  /** Where to report errors the emulator survived (malformed frames, handler faults). Default: none. */
  onError?: (error: unknown) => void
}

/** Queue management at run time, shaped like `ServiceBusAdministrationClient`'s queue methods. */
export interface EmulatorAdmin {
  createQueue(name: string, options?: CreateQueueOptions): Promise<{ name: string }>
  deleteQueue(name: string): Promise<void>
  queueExists(name: string): Promise<boolean>
  /** Topics, as `ServiceBusAdministrationClient` names them: a topic is created without subscriptions. */
  createTopic(name: string): Promise<{ name: string }>
  /** Deletes the topic and its subscriptions. */
  deleteTopic(name: string): Promise<void>
  topicExists(name: string): Promise<boolean>
  /** `defaultRuleOptions` replaces the `$Default` true rule, atomically with the creation. */
  createSubscription(
    topicName: string,
    subscriptionName: string,
    options?: Pick<CreateQueueOptions, 'lockDuration' | 'maxDeliveryCount'> & {
      defaultRuleOptions?: { name: string; filter: { sqlExpression: string } }
    },
  ): Promise<{ subscriptionName: string; topicName: string }>
  deleteSubscription(topicName: string, subscriptionName: string): Promise<void>
}

export interface ServiceBusEmulator {
  /** `Endpoint=sb://127.0.0.1:PORT;SharedAccessKeyName=…;UseDevelopmentEmulator=true` */
  readonly connectionString: string
  readonly host: string
  readonly port: number
  /** The namespace's entities and messages, for assertions in tests. */
  readonly broker: Broker
  readonly admin: EmulatorAdmin
  /** The AMQPS listener, when `tls` was asked for. */
  readonly tls:
    | { readonly port: number; readonly certPath: string; readonly connectionString: string }
    | undefined
  /** Drops every connection and stops listening; queues and messages stay, as after a network outage. */
  stop(): Promise<void>
  /** Listens again on the same port after `stop()`. */
  start(): Promise<void>
  /** Stops for good and discards every message. */
  close(): Promise<void>
}

function isTopology(config: object): config is Topology {
  return !('UserConfig' in config)
}

/** Starts an emulator; resolves once it accepts connections. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<ServiceBusEmulator> {
  const host = options.host ?? '127.0.0.1'
  const source = options.config
  const topology: Topology =
    source === undefined
      ? {}
      : typeof source === 'string' || !isTopology(source)
        ? parseConfig(source)
        : source
  if (typeof source === 'object' && isTopology(source)) checkForwarding(topology, 'topology')
  const namespace = topology.namespace ?? 'sbemulatorns'
  const onError = options.onError ?? (() => {})
  const broker = new Broker(namespace, onError)
  broker.load(topology)
  const maxMessageSize = options.maxMessageSize ?? MAX_MESSAGE_SIZE

  const container = rhea.create_container({
    id: `servicebus-emulator-${namespace}`,
    autoaccept: false,
    treat_modified_as_released: false,
    autosettle: false,
  } as never)
  const credentials: Credentials = {
    keyName: options.sharedAccessKeyName ?? DEFAULT_KEY_NAME,
    key: options.sharedAccessKey ?? DEFAULT_KEY,
    allowAnyKey: options.allowAnyKey ?? false,
  }
  saslMechanisms(container, credentials)
  const sockets = new Set<Socket>()
  const connections = new Set<Connection>()
  const handshakes = new WeakMap<Socket, NodeJS.Timeout>()
  wire(container, broker, credentials, maxMessageSize, onError, connections)
  container.on('connection_open', (context: EventContext) => {
    const socket = (context.connection as unknown as { socket?: Socket }).socket
    if (!socket) return
    clearTimeout(handshakes.get(socket))
    // The SDK's socket keeps Nagle's algorithm on: after a frame we do not answer (a disposition,
    // a flow) its next small frame waits for our ACK, which the kernel delays ~40 ms when we have
    // nothing to send. An empty AMQP frame (a heartbeat) in reply carries the ACK at once: every
    // link attach would otherwise cost 40 ms.
    socket.on('data', () => {
      const written = socket.bytesWritten
      setImmediate(() => {
        if (socket.bytesWritten === written && socket.writable) socket.write(EMPTY_FRAME)
      })
    })
  })

  let servers: Server[] = []
  let port = options.port ?? 0
  const tlsOptions = options.tls === true ? {} : options.tls || undefined
  const certificate = tlsOptions ? await tlsCertificate(tlsOptions, host) : undefined
  let tlsPort = tlsOptions?.port ?? 0
  const watch = (socket: Socket) => {
    // Small frames both ways (a flow, then a burst of transfers): Nagle's algorithm against the
    // client's delayed ACK would stall each exchange by ~40 ms.
    socket.setNoDelay(true)
    sockets.add(socket)
    const handshake = setTimeout(() => socket.destroy(), options.handshakeTimeoutMs ?? 10_000)
    handshakes.set(socket, handshake)
    socket.on('close', () => {
      clearTimeout(handshake)
      sockets.delete(socket)
    })
  }
  const serve = async (listenOptions: object, listenPort: number, tls = false) => {
    const s = container.listen({
      ...listenOptions,
      port: listenPort,
      host,
      max_frame_size: MAX_FRAME_SIZE,
    } as never) as unknown as Server
    // A TLS connection reaches AMQP as the TLS socket, once its handshake (bounded by Node's
    // handshakeTimeout) is done: the AMQP handshake timer starts then.
    s.on(tls ? 'secureConnection' : 'connection', watch)
    if (tls) {
      s.on('connection', (raw: Socket) => {
        sockets.add(raw) // so stop() also drops clients still in the TLS handshake
        raw.on('close', () => sockets.delete(raw))
      })
    }
    await new Promise<void>((resolve, reject) => {
      s.once('listening', resolve)
      s.once('error', reject)
    })
    s.on('error', onError)
    servers.push(s)
    return (s.address() as AddressInfo).port
  }
  const listen = async () => {
    port = await serve({}, port)
    if (certificate)
      tlsPort = await serve(
        {
          transport: 'tls',
          key: certificate.key,
          cert: certificate.cert,
          handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
        },
        tlsPort,
        true,
      )
  }
  const stop = async () => {
    const open = servers
    servers = []
    if (open.length === 0) return
    const closed = Promise.all(open.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    connections.clear()
    await closed
  }
  await listen()

  const admin: EmulatorAdmin = {
    async createQueue(name, queueOptions = {}) {
      const duration = (value: string | undefined, field: string) =>
        value === undefined ? undefined : parseDuration(value, field)
      try {
        broker.addQueue({
          name,
          properties: {
            lockDurationMs: duration(queueOptions.lockDuration, 'lockDuration'),
            maxDeliveryCount: queueOptions.maxDeliveryCount,
            defaultMessageTimeToLiveMs: duration(
              queueOptions.defaultMessageTimeToLive,
              'defaultMessageTimeToLive',
            ),
            deadLetteringOnMessageExpiration: queueOptions.deadLetteringOnMessageExpiration,
            requiresDuplicateDetection: queueOptions.requiresDuplicateDetection,
            duplicateDetectionHistoryTimeWindowMs: duration(
              queueOptions.duplicateDetectionHistoryTimeWindow,
              'duplicateDetectionHistoryTimeWindow',
            ),
            forwardTo: queueOptions.forwardTo,
            forwardDeadLetteredMessagesTo: queueOptions.forwardDeadLetteredMessagesTo,
            requiresSession: queueOptions.requiresSession,
          } as never,
        })
      } catch (error) {
        if (error instanceof BrokerError)
          throw Object.assign(new Error(error.message), {
            code: 'MessagingEntityAlreadyExists',
            statusCode: 409,
          })
        throw error
      }
      return { name }
    },
    async deleteQueue(name) {
      if (!broker.deleteEntity(name)) {
        throw Object.assign(new Error(`The messaging entity '${name}' could not be found.`), {
          code: 'MessageEntityNotFoundError',
          statusCode: 404,
        })
      }
    },
    async queueExists(name) {
      return broker.hasQueue(name)
    },
    async createTopic(name) {
      try {
        broker.addTopic({ name })
      } catch (error) {
        throw adminError(error)
      }
      return { name }
    },
    async deleteTopic(name) {
      if (!broker.hasTopic(name) || !broker.deleteEntity(name)) throw entityNotFound(name)
    },
    async topicExists(name) {
      return broker.hasTopic(name)
    },
    async createSubscription(topicName, subscriptionName, subscriptionOptions = {}) {
      const rule = subscriptionOptions.defaultRuleOptions
      try {
        broker.addSubscription(topicName, {
          name: subscriptionName,
          properties: {
            lockDurationMs:
              subscriptionOptions.lockDuration === undefined
                ? undefined
                : parseDuration(subscriptionOptions.lockDuration, 'lockDuration'),
            maxDeliveryCount: subscriptionOptions.maxDeliveryCount,
          } as never,
          rules:
            rule === undefined
              ? undefined
              : [{ type: 'sql', expression: rule.filter.sqlExpression, name: rule.name }],
        })
      } catch (error) {
        throw adminError(error)
      }
      return { subscriptionName, topicName }
    },
    async deleteSubscription(topicName, subscriptionName) {
      if (!broker.deleteSubscription(topicName, subscriptionName)) {
        throw entityNotFound(`${topicName}/Subscriptions/${subscriptionName}`)
      }
    },
  }

  return {
    get connectionString() {
      return `Endpoint=sb://${host}:${port};SharedAccessKeyName=${credentials.keyName};SharedAccessKey=${credentials.key};UseDevelopmentEmulator=true;`
    },
    host,
    get port() {
      return port
    },
    get tls() {
      if (!certificate) return undefined
      return {
        port: tlsPort,
        certPath: certificate.certPath,
        // No UseDevelopmentEmulator: the SDK dials AMQPS, trusting the certificate at certPath.
        connectionString: `Endpoint=sb://localhost:${tlsPort};SharedAccessKeyName=${credentials.keyName};SharedAccessKey=${credentials.key}`,
      }
    },
    broker,
    admin,
    stop,
    async start() {
      if (servers.length === 0) await listen()
    },
    async close() {
      await stop()
      broker.close()
    },
  }
}

interface OutletState extends Outlet {
  link: Sender
  entity: Entity
  peekLock: boolean
  /** Deliveries whose lock lapsed before the client settled them, oldest first. */
  expired: DeliveryInternals[]
  /** On a session-enabled entity: the session this receiver holds. */
  sessionLock?: SessionLock | undefined
}

const nodeKey = (address: string) => `node:${address.toLowerCase()}`

/** The request/response nodes: `$cbs` and every `<entity>/$management`. */
const MANAGEMENT_SUFFIX = /\/\$management$/i

function wire(
  container: rhea.Container,
  broker: Broker,
  credentials: Credentials,
  maxMessageSize: number,
  onError: (error: unknown) => void,
  connections: Set<Connection>,
): void {
  /** Reply links of each connection, by link name and by target address (either may be the reply_to). */
  const replyLinks = new WeakMap<Connection, Map<string, Sender>>()
  const outlets = new WeakMap<Sender, OutletState>()

  const replies = (connection: Connection) => {
    const map = replyLinks.get(connection) ?? new Map<string, Sender>()
    replyLinks.set(connection, map)
    return map
  }

  container.on('connection_open', (context: EventContext) => {
    connections.add(context.connection)
  })
  for (const event of ['disconnected', 'connection_close', 'connection_error']) {
    container.on(event, (context: EventContext) => {
      // Locks outlive links, as on Service Bus: only the connection's outlets go.
      connections.delete(context.connection)
      for (const entity of broker.entities()) {
        for (const outlet of entity.outlets) {
          if ((outlet as OutletState).link.connection === context.connection)
            detachOutlet((outlet as OutletState).link)
        }
      }
    })
  }
  container.on('error', onError)
  container.on('protocol_error', onError)
  for (const event of ['session_error', 'sender_error', 'receiver_error']) container.on(event, () => {})

  const detachOutlet = (link: Sender) => {
    const outlet = outlets.get(link)
    if (!outlet) return
    // No more deliveries; the outlet stays known so a late settlement still reaches the entity.
    outlet.entity.outlets.delete(outlet)
    // Closing a session receiver frees its session for the next one.
    if (outlet.sessionLock) outlet.entity.sessions?.release(outlet.sessionLock)
  }

  const refuse = (link: Sender | Receiver, error: unknown) => {
    const e = BrokerError.from(error)
    link.close({ condition: e.condition, description: e.message })
  }

  // A client's receiver: we send. Either a reply link of a request/response node, or an entity.
  container.on('sender_open', (context: EventContext) => {
    const link = context.sender!
    const remote: AttachFrame = linkOf(link).remote.attach
    const address = remote.source?.address ?? ''
    link.set_source({ address })
    if (remote.target?.address) link.set_target({ address: remote.target.address })
    if (address === '$cbs' || MANAGEMENT_SUFFIX.test(address)) {
      const map = replies(context.connection)
      map.set(link.name, link)
      if (remote.target?.address) map.set(remote.target.address, link)
      // A request without reply_to is answered on the connection's latest receiver of that node.
      map.set(nodeKey(address), link)
      return
    }
    try {
      const entity = broker.receivable(address)
      if (wantsSession(remote.source?.filter) !== (entity.sessions !== undefined))
        throw sessionMismatch(entity.sessions !== undefined)
      if (!entity.sessions) return openOutlet(link, entity, undefined)
      acceptSession(
        link,
        entity,
        (lock) => openOutlet(link, entity, lock),
        (error) => {
          detachOutlet(link)
          refuse(link, error)
        },
      )
    } catch (error) {
      refuse(link, error)
    }
  })

  const openOutlet = (link: Sender, entity: Entity, sessionLock: SessionLock | undefined) => {
    const remote: AttachFrame = linkOf(link).remote.attach
    const peekLock = remote.snd_settle_mode !== 1
    linkOf(link).local.attach.snd_settle_mode = peekLock ? 0 : 1
    linkOf(link).local.attach.rcv_settle_mode = remote.rcv_settle_mode ?? 0
    // rhea spends credit when a transfer is written, not when it is queued: count our queued
    // deliveries against it, and never queue more than the session's buffer holds.
    const queued: number[] = []
    const outgoing = linkOf(link).session.outgoing
    const outlet: OutletState = {
      link,
      entity,
      peekLock,
      expired: [],
      sessionLock,
      sessionId: sessionLock?.sessionId,
      credit: () => {
        if (!link.is_open()) return 0
        // A client that pipelines attach and flow (Qpid Proton does) must see our attach before
        // any transfer; rhea writes transfers first in a cycle, so wait for the next one.
        if (linkOf(link).state.open_requests > 0) {
          broker.schedulePump(entity)
          return 0
        }
        while (queued.length > 0 && queued[0]! < outgoing.next_pending_delivery) queued.shift()
        const wanted = linkOf(link).credit - queued.length
        if (wanted > 0 && outgoing.available() < wanted) reclaimExpired(outlet)
        return Math.max(0, Math.min(wanted, outgoing.available()))
      },
      deliver: (message, from) => queued.push(deliver(outlet, message, from)),
    }
    outlets.set(link, outlet)
    entity.outlets.add(outlet)
    broker.schedulePump(entity)
  }

  const deliver = (outlet: OutletState, message: StoredMessage, entity: Entity) => {
    const priorDeliveries = message.deliveries
    message.deliveries++
    let tag: Buffer
    let lockedUntil: number | undefined
    let lock: Lock | undefined
    if (outlet.peekLock) {
      lock = entity.lock(message)
      tag = lockTokenToDeliveryTag(lock.token)
      lockedUntil = lock.lockedUntil
    } else {
      entity.messages.delete(message.seq)
      tag = uuidToBytes(crypto.randomUUID())
    }
    const bytes = encodeStored(message.body, priorDeliveries, {
      sequenceNumber: message.seq,
      enqueuedAt: message.enqueuedAt,
      lockedUntil,
      lockToken: lock?.token,
      state: STATE_CODE[message.state],
      deadLetterSource: message.deadLetterSource,
    })
    const delivery = outlet.link.send(bytes, tag, 0)
    if (lock) {
      // A lock settled by any path (link or $management) settles the link's delivery with it, so
      // rhea frees its slot in the session. An expired one stays open: Service Bus answers a late
      // settlement over the link with lock-lost, which the SDK surfaces as MessageLockLost.
      lock.onEnd = (expired) => {
        if (expired) outlet.expired.push(deliveryOf(delivery))
        else settleDelivery(deliveryOf(delivery), undefined)
      }
    }
    return (delivery as unknown as { id: number }).id
  }

  /**
   * Settles expired deliveries the client never settled when the session's buffer (2048 slots in
   * rhea) runs short, so a receiver that lets locks lapse keeps receiving. Settling them says
   * lock-lost, which is what a late settlement would have been told anyway.
   */
  const reclaimExpired = (outlet: OutletState) => {
    for (const delivery of outlet.expired.splice(0)) settleDelivery(delivery, lockLost())
  }

  const settleDelivery = (delivery: DeliveryInternals, error: BrokerError | undefined) => {
    if (delivery.remote_settled) return
    if (!delivery.link.is_open()) {
      // The link is gone (its session may be too): nothing to tell the client; free the slot.
      delivery.settled = true
      delivery.remote_settled = true
      return
    }
    const outcome = error
      ? outcomes.rejected({ error: { condition: error.condition, description: error.message } })
      : outcomes.accepted()
    delivery.update(true, outcome.described())
    // With rcv-settle-mode second the client never settles a delivery we have settled.
    delivery.remote_settled = true
  }

  container.on('sendable', (context: EventContext) => {
    const outlet = outlets.get(context.sender!)
    if (outlet) outlet.entity.pump()
  })

  container.on('sender_draining', (context: EventContext) => {
    const link = context.sender!
    const outlet = outlets.get(link)
    if (outlet) outlet.entity.pump()
    link.set_drained(true)
  })

  container.on('sender_close', (context: EventContext) => {
    const link = context.sender!
    detachOutlet(link)
    const map = replyLinks.get(context.connection)
    if (map) for (const [key, value] of map) if (value === link) map.delete(key)
  })

  // Settlement of what we delivered, over the receiving link.
  const settleOverLink = (
    context: EventContext,
    outcome: 'accepted' | 'released' | 'modified' | 'rejected',
  ) => {
    const delivery = deliveryOf(context.delivery!)
    const outlet = outlets.get(context.sender!)
    if (!outlet?.peekLock) {
      // Nothing to settle (receive-and-delete): echo a plain outcome, never an empty state.
      settleDelivery(delivery, undefined)
      return
    }
    const state = delivery.remote_state ?? {}
    const token = tokenOf(delivery)
    try {
      const entity = outlet.entity
      if (outcome === 'accepted') entity.complete(token)
      else if (outcome === 'released') entity.abandon(token, undefined)
      else if (outcome === 'modified') {
        const properties = state.message_annotations
        if (state.undeliverable_here) entity.defer(token, properties)
        else entity.abandon(token, properties)
      } else {
        const info = { ...state.error?.info }
        const reason = takeString(info, 'DeadLetterReason')
        const description = takeString(info, 'DeadLetterErrorDescription')
        entity.deadLetter(token, reason, description, info)
      }
      // Ending the lock has settled the delivery as accepted already (the SDK reads any outcome
      // without an error as success; an echoed `rejected` would not be); this is a no-op then.
      settleDelivery(delivery, undefined)
    } catch (error) {
      settleDelivery(delivery, BrokerError.from(error))
    }
  }
  container.on('accepted', (c: EventContext) => settleOverLink(c, 'accepted'))
  container.on('released', (c: EventContext) => settleOverLink(c, 'released'))
  container.on('modified', (c: EventContext) => settleOverLink(c, 'modified'))
  container.on('rejected', (c: EventContext) => settleOverLink(c, 'rejected'))

  // A client's sender: we receive. Either requests to a node, or messages for an entity.
  container.on('receiver_open', (context: EventContext) => {
    const link = context.receiver!
    const remote = linkOf(link).remote.attach
    const address = remote.target?.address ?? ''
    link.set_target({ address })
    if (remote.source?.address) link.set_source({ address: remote.source.address })
    linkOf(link).local.attach.max_message_size = maxMessageSize
    if (address === '$cbs' || MANAGEMENT_SUFFIX.test(address)) return
    try {
      broker.sendable(address)
    } catch (error) {
      refuse(link, error)
    }
  })

  container.on('message', (context: EventContext) => {
    const link = context.receiver!
    const delivery = context.delivery!
    const address = linkOf(link).remote.attach.target?.address ?? ''
    try {
      if (address === '$cbs') return respond(context, cbs(context.message!, credentials))
      if (MANAGEMENT_SUFFIX.test(address)) {
        const entityPath = address.replace(MANAGEMENT_SUFFIX, '')
        return respond(context, management(broker, entityPath, context.message!))
      }
      const format = (context as unknown as { format?: number }).format ?? 0
      const message = context.message as unknown as Record<symbol, Buffer | undefined>
      // The client's own bytes (copied: the frame's buffer is rhea's), never a re-encoding.
      const raw = Buffer.from(format === 0 ? message[RAW_MESSAGE]! : (message as unknown as Buffer))
      const size = (delivery as unknown as { data?: Buffer }).data?.length ?? raw.length
      if (size > maxMessageSize) {
        throw new BrokerError(
          CONDITIONS.sizeExceeded,
          `The received message (delivery-id:${delivery.id}, size:${size} bytes) exceeds the limit (${maxMessageSize} bytes) currently allowed on the link.`,
          413,
        )
      }
      const bodies: StoredBody[] = unpackTransfer(raw, format).map((bytes) =>
        withMessageId(parseMessage(bytes)),
      )
      broker.send(address, bodies)
      delivery.accept()
    } catch (error) {
      const e = BrokerError.from(error)
      if (e.condition === CONDITIONS.notFound) refuse(link, e)
      delivery.reject({ condition: e.condition, description: e.message })
    }
  })

  /** Sends a node's reply on the link the request named in `reply_to`. */
  const respond = (context: EventContext, reply: Reply) => {
    const request = context.message!
    context.delivery!.accept()
    const links = replyLinks.get(context.connection)
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

function takeString(info: Record<string, unknown>, key: string): string | undefined {
  const value = info[key]
  delete info[key]
  return value === undefined ? undefined : String(value)
}

/** A broker error as the administration client reports it (`statusCode` 404 or 409). */
function adminError(error: unknown): unknown {
  if (!(error instanceof BrokerError)) return error
  const exists = error.condition === CONDITIONS.entityExists
  return Object.assign(new Error(error.message), {
    code: exists ? 'MessagingEntityAlreadyExists' : 'MessageEntityNotFoundError',
    statusCode: exists ? 409 : 404,
  })
}

function entityNotFound(name: string): Error {
  return Object.assign(new Error(`The messaging entity '${name}' could not be found.`), {
    code: 'MessageEntityNotFoundError',
    statusCode: 404,
  })
}
