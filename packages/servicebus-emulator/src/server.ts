import type { AddressInfo, Server, Socket } from 'node:net'
import rhea, { type Connection, type EventContext } from 'rhea'
import { startAdminServer } from './admin-http.js'
import { type Credentials, DEFAULT_KEY, DEFAULT_KEY_NAME } from './auth.js'
import { Broker } from './broker.js'
import { checkForwarding, parseConfig, type Topology } from './config.js'
import { type EmulatorAdmin, emulatorAdmin } from './emulator-admin.js'
import { wireLinks } from './links.js'
import { patchRhea } from './rhea-internals.js'
import { saslMechanisms } from './sasl.js'
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
  /**
   * Serve the management REST API `ServiceBusAdministrationClient` speaks (queues, and
   * `GET /health`) on this port (0 picks one; Microsoft's emulator uses 5300). Over HTTPS with the
   * `tls` certificate when `tls` is set (the JavaScript SDK only dials HTTPS), else plain HTTP.
   */
  adminPort?: number
  /** Where to report errors the emulator survived (malformed frames, handler faults). Default: none. */
  onError?: (error: unknown) => void
}

export interface ServiceBusEmulator {
  /** `Endpoint=sb://127.0.0.1:PORT;SharedAccessKeyName=…;UseDevelopmentEmulator=true` */
  readonly connectionString: string
  readonly host: string
  readonly port: number
  /** The namespace's entities and messages, for assertions in tests. */
  readonly broker: Broker
  readonly admin: EmulatorAdmin
  /** The management API, when `adminPort` was given: its port and a connection string for the admin client. */
  readonly adminApi: { readonly port: number; readonly connectionString: string } | undefined
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
  wireLinks(container, broker, credentials, maxMessageSize, onError, connections)
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
  const adminServer =
    options.adminPort === undefined
      ? undefined
      : await startAdminServer(
          broker,
          credentials,
          { host, port: options.adminPort, tls: certificate },
          onError,
        )

  const admin = emulatorAdmin(broker)

  return {
    get connectionString() {
      return `Endpoint=sb://${host}:${port};SharedAccessKeyName=${credentials.keyName};SharedAccessKey=${credentials.key};UseDevelopmentEmulator=true;`
    },
    host,
    get port() {
      return port
    },
    get adminApi() {
      if (!adminServer) return undefined
      const flag = certificate ? '' : ';UseDevelopmentEmulator=true'
      return {
        port: adminServer.port,
        connectionString: `Endpoint=sb://localhost:${adminServer.port};SharedAccessKeyName=${credentials.keyName};SharedAccessKey=${credentials.key}${flag}`,
      }
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
      await adminServer?.close()
      await stop()
      broker.close()
    },
  }
}
