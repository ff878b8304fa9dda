import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import rhea, { type Delivery, type Receiver, type Sender } from 'rhea'

/**
 * The parts of rhea a server needs that its typings leave out: the attach frames of a link, its
 * credit, the codec's reader and writer, and the outcome constructors.
 */
export interface Terminus {
  address?: string
  filter?: unknown
}
export interface AttachFrame {
  source?: Terminus
  target?: Terminus
  snd_settle_mode?: number
  rcv_settle_mode?: number
  max_message_size?: number
  properties?: Record<string, unknown>
}
export interface LinkInternals {
  remote: { attach: AttachFrame }
  local: { attach: AttachFrame }
  credit: number
  /** `open_requests` > 0 while our attach is not yet written. */
  state: { open_requests: number; local_open: boolean }
  session: SessionIo
}
/** A session's delivery queues: `incoming.process` writes its pending dispositions now. */
export interface SessionIo {
  outgoing: { next_pending_delivery: number; available(): number }
  incoming: { process(session: SessionIo): void }
}

export const linkOf = (link: Sender | Receiver): LinkInternals => link as unknown as LinkInternals

export interface DeliveryInternals {
  tag: Buffer
  link: { is_open(): boolean }
  settled: boolean
  remote_settled: boolean
  remote_state?: {
    undeliverable_here?: boolean
    message_annotations?: Record<string, unknown>
    error?: { condition?: string; description?: string; info?: Record<string, unknown> }
  }
  update(settled: boolean, state?: unknown): void
}

export const deliveryOf = (delivery: Delivery): DeliveryInternals => delivery as unknown as DeliveryInternals

interface Codec {
  Reader: new (buffer: Buffer) => { position: number; remaining(): number; read(): unknown }
  Writer: new () => { write(value: unknown): void; toBuffer(): Buffer }
}
export const codec = rhea.types as unknown as Codec & typeof rhea.types

interface Outcomes {
  accepted(): { described(): unknown }
  rejected(fields: { error: { condition: string; description: string } }): { described(): unknown }
}
export const outcomes = rhea.message as unknown as Outcomes & typeof rhea.message

/** The bytes of a received message, which rhea decodes and then forgets: see `keepRawMessages`. */
export const RAW_MESSAGE = Symbol.for('@anyqueue/servicebus-emulator.raw-message')

interface SessionInternals {
  links: Record<string, LinkLike>
  remote: { handles: Record<number, LinkLike> }
  local: { handles: Record<number, LinkLike> }
  create_sender(name: string): LinkLike
  create_receiver(name: string): LinkLike
  on_attach(frame: { performative: { name: string; role: boolean; handle: number } }): void
  remove_link(link: LinkLike): void
}
interface LinkLike {
  name: string
  is_sender(): boolean
  remote: { attach: unknown; handle: number }
  local: { handle: number }
  on_attach(frame: unknown): void
  [ALIAS]?: string
}
const ALIAS = Symbol.for('@anyqueue/servicebus-emulator.link-alias')
const PATCHED = Symbol.for('@anyqueue/servicebus-emulator.patched')

/**
 * Two changes to rhea, each confined to a path where rhea would otherwise throw or lose data, so
 * other users of the same rhea in the process (the SDK in a test) see no difference:
 *
 * - rhea keys a session's links by name alone, so a client that gives its sender and its receiver
 *   the same name (Qpid Proton's default for one address) gets "Attach already received" and the
 *   whole connection dropped. AMQP names a link by name *and* role: the second role gets its own
 *   entry.
 * - rhea hands the server a decoded message (format 0) and drops the bytes. Re-encoding that loses
 *   the client's types (an int becomes a uint, a uuid a binary): the bytes ride along on the
 *   decoded object under `RAW_MESSAGE`.
 */
export function patchRhea(): void {
  const req = createRequire(import.meta.url)
  const rheaPath = req.resolve('rhea')
  const Session = req(join(dirname(rheaPath), 'session.js')) as { prototype: SessionInternals }
  const message = req(join(dirname(rheaPath), 'message.js')) as { decode(b: Buffer): unknown }
  const proto = Session.prototype as SessionInternals & { [PATCHED]?: boolean }
  if (proto[PATCHED]) return
  proto[PATCHED] = true

  const onAttach = proto.on_attach
  proto.on_attach = function (this: SessionInternals, frame) {
    const { name, role, handle } = frame.performative
    const existing = this.links[name]
    // role true: the peer receives, so our end sends.
    if (!existing || existing.is_sender() === Boolean(role)) return onAttach.call(this, frame)
    const key = `${name}\u0000${role ? 'sender' : 'receiver'}`
    let link = this.links[key]
    if (!link) {
      link = role ? this.create_sender(name) : this.create_receiver(name)
      this.links[name] = existing
      this.links[key] = link
      link[ALIAS] = key
    }
    this.remote.handles[handle] = link
    link.on_attach(frame)
    link.remote.attach = frame.performative
  }
  const removeLink = proto.remove_link
  proto.remove_link = function (this: SessionInternals, link) {
    const key = link[ALIAS]
    if (key === undefined) return removeLink.call(this, link)
    delete this.remote.handles[link.remote.handle]
    delete this.local.handles[link.local.handle]
    if (this.links[key] === link) delete this.links[key]
  }

  const decode = message.decode
  message.decode = (bytes: Buffer) => {
    const decoded = decode(bytes)
    if (decoded && typeof decoded === 'object')
      Object.defineProperty(decoded, RAW_MESSAGE, { value: bytes, enumerable: false })
    return decoded
  }
}
