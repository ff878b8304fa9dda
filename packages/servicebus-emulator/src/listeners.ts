import type { AddressInfo, Server, Socket } from 'node:net'
import type rhea from 'rhea'
import type { EventContext } from 'rhea'
import type { TlsCertificate } from './tls.js'

/** The largest frame we accept, as Service Bus advertises it; larger messages span frames. */
export const MAX_FRAME_SIZE = 65_536

/** An AMQP frame with no body: size 8, data offset 2, type AMQP, channel 0. Peers read it as a heartbeat. */
const EMPTY_FRAME = Buffer.from([0, 0, 0, 8, 2, 0, 0, 0])

export interface ListenerOptions {
  host: string
  /** 0 picks a free port; after the first listen, the port picked, so `listen()` again reuses it. */
  port: number
  /** The AMQPS listener's certificate and port, when TLS is asked for. */
  tls: { certificate: TlsCertificate; port: number } | undefined
  /** A client must finish the AMQP (and TLS) handshake within this many ms, or its socket is closed. */
  handshakeTimeoutMs: number
  onError: (error: unknown) => void
}

/**
 * The container's AMQP listener, and its AMQPS one when TLS is asked for: they listen, bound each
 * client's handshake, keep small frames from waiting on Nagle's algorithm, and stop together,
 * dropping every client (as after a network outage) so that `listen()` can start them again.
 */
export class AmqpListeners {
  #servers: Server[] = []
  readonly #sockets = new Set<Socket>()
  readonly #handshakes = new WeakMap<Socket, NodeJS.Timeout>()
  readonly #container: rhea.Container
  readonly #options: ListenerOptions
  #port: number
  #tlsPort: number

  constructor(container: rhea.Container, options: ListenerOptions) {
    this.#container = container
    this.#options = options
    this.#port = options.port
    this.#tlsPort = options.tls?.port ?? 0
    container.on('connection_open', (context: EventContext) => this.#opened(context))
  }

  get port(): number {
    return this.#port
  }

  get tlsPort(): number {
    return this.#tlsPort
  }

  get listening(): boolean {
    return this.#servers.length > 0
  }

  async listen(): Promise<void> {
    this.#port = await this.#serve({}, this.#port, false)
    const tls = this.#options.tls
    if (tls) {
      const { key, cert } = tls.certificate
      const handshakeTimeout = this.#options.handshakeTimeoutMs
      this.#tlsPort = await this.#serve(
        { transport: 'tls', key, cert, handshakeTimeout },
        this.#tlsPort,
        true,
      )
    }
  }

  async stop(): Promise<void> {
    const open = this.#servers
    this.#servers = []
    if (open.length === 0) return
    const closed = Promise.all(open.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))))
    for (const socket of this.#sockets) socket.destroy()
    this.#sockets.clear()
    await closed
  }

  async #serve(listenOptions: object, port: number, tls: boolean): Promise<number> {
    const server = this.#container.listen({
      ...listenOptions,
      port,
      host: this.#options.host,
      max_frame_size: MAX_FRAME_SIZE,
    } as never) as unknown as Server
    // A TLS connection reaches AMQP as the TLS socket, once its handshake (bounded by Node's
    // handshakeTimeout) is done: the AMQP handshake timer starts then.
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => this.#watch(socket))
    if (tls) {
      server.on('connection', (raw: Socket) => {
        this.#sockets.add(raw) // so stop() also drops clients still in the TLS handshake
        raw.on('close', () => this.#sockets.delete(raw))
      })
    }
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    server.on('error', this.#options.onError)
    this.#servers.push(server)
    return (server.address() as AddressInfo).port
  }

  #watch(socket: Socket): void {
    // Small frames both ways (a flow, then a burst of transfers): Nagle's algorithm against the
    // client's delayed ACK would stall each exchange by ~40 ms.
    socket.setNoDelay(true)
    this.#sockets.add(socket)
    const handshake = setTimeout(() => socket.destroy(), this.#options.handshakeTimeoutMs)
    this.#handshakes.set(socket, handshake)
    socket.on('close', () => {
      clearTimeout(handshake)
      this.#sockets.delete(socket)
    })
  }

  #opened(context: EventContext): void {
    const socket = (context.connection as unknown as { socket?: Socket }).socket
    if (!socket) return
    clearTimeout(this.#handshakes.get(socket))
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
  }
}
