import rhea, { type Delivery, type Receiver, type Sender } from 'rhea'

/**
 * The parts of rhea a server needs that its typings leave out: the attach frames of a link, its
 * credit, the codec's reader and writer, and the outcome constructors.
 */
export interface Terminus {
  address?: string
}
export interface AttachFrame {
  source?: Terminus
  target?: Terminus
  snd_settle_mode?: number
  rcv_settle_mode?: number
  max_message_size?: number
}
export interface LinkInternals {
  remote: { attach: AttachFrame }
  local: { attach: AttachFrame }
  credit: number
  session: { outgoing: { next_pending_delivery: number; available(): number } }
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
