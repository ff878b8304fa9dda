import rhea from 'rhea'
import { startAdminServer } from './admin-http.js'
import { type Credentials, DEFAULT_KEY, DEFAULT_KEY_NAME } from './auth.js'
import { Broker } from './broker.js'
import { checkForwarding, parseConfig, type Topology } from './config.js'
import { type EmulatorAdmin, emulatorAdmin } from './emulator-admin.js'
import { wireLinks } from './links.js'
import { AmqpListeners } from './listeners.js'
import { patchRhea } from './rhea-internals.js'
import { saslMechanisms } from './sasl.js'
import { type TlsOptions, tlsCertificate } from './tls.js'

patchRhea()

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

/** The topology `config` describes: a `Config.json` (text or parsed), or `{ queues, topics }`. */
function topologyOf(source: EmulatorOptions['config']): Topology {
  if (source === undefined) return {}
  if (typeof source === 'string' || !isTopology(source)) return parseConfig(source)
  checkForwarding(source, 'topology')
  return source
}

/** An AMQP container that speaks Service Bus: SASL, `$cbs` and `$management`, senders and receivers. */
function serviceBusContainer(
  broker: Broker,
  credentials: Credentials,
  maxMessageSize: number,
  onError: (error: unknown) => void,
): rhea.Container {
  const container = rhea.create_container({
    id: `servicebus-emulator-${broker.namespace}`,
    autoaccept: false,
    treat_modified_as_released: false,
    autosettle: false,
  } as never)
  saslMechanisms(container, credentials)
  wireLinks(container, broker, credentials, maxMessageSize, onError)
  return container
}

/** Starts an emulator; resolves once it accepts connections. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<ServiceBusEmulator> {
  const host = options.host ?? '127.0.0.1'
  const topology = topologyOf(options.config)
  const onError = options.onError ?? (() => {})
  const broker = new Broker(topology.namespace ?? 'sbemulatorns', onError)
  broker.load(topology)
  const credentials: Credentials = {
    keyName: options.sharedAccessKeyName ?? DEFAULT_KEY_NAME,
    key: options.sharedAccessKey ?? DEFAULT_KEY,
    allowAnyKey: options.allowAnyKey ?? false,
  }
  const container = serviceBusContainer(
    broker,
    credentials,
    options.maxMessageSize ?? MAX_MESSAGE_SIZE,
    onError,
  )
  const tlsOptions = options.tls === true ? {} : options.tls || undefined
  const certificate = tlsOptions ? await tlsCertificate(tlsOptions, host) : undefined
  const listeners = new AmqpListeners(container, {
    host,
    port: options.port ?? 0,
    tls: certificate && { certificate, port: tlsOptions?.port ?? 0 },
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    onError,
  })
  await listeners.listen()
  const adminServer =
    options.adminPort === undefined
      ? undefined
      : await startAdminServer(
          broker,
          credentials,
          { host, port: options.adminPort, tls: certificate },
          onError,
        )
  const key = `SharedAccessKeyName=${credentials.keyName};SharedAccessKey=${credentials.key}`

  return {
    get connectionString() {
      return `Endpoint=sb://${host}:${listeners.port};${key};UseDevelopmentEmulator=true;`
    },
    host,
    get port() {
      return listeners.port
    },
    get adminApi() {
      if (!adminServer) return undefined
      const flag = certificate ? '' : ';UseDevelopmentEmulator=true'
      return {
        port: adminServer.port,
        connectionString: `Endpoint=sb://localhost:${adminServer.port};${key}${flag}`,
      }
    },
    get tls() {
      if (!certificate) return undefined
      return {
        port: listeners.tlsPort,
        certPath: certificate.certPath,
        // No UseDevelopmentEmulator: the SDK dials AMQPS, trusting the certificate at certPath.
        connectionString: `Endpoint=sb://localhost:${listeners.tlsPort};${key}`,
      }
    },
    broker,
    admin: emulatorAdmin(broker),
    stop: () => listeners.stop(),
    async start() {
      if (!listeners.listening) await listeners.listen()
    },
    async close() {
      await adminServer?.close()
      await listeners.stop()
      broker.close()
      // The generated key and certificate go with the emulator: nothing is left in the temp dir.
      await certificate?.remove()
    },
  }
}
