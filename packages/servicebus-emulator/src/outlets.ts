import type { Connection, EventContext, Sender } from 'rhea'
import { encodeStored, lockTokenToDeliveryTag, tokenOf, uuidToBytes } from './amqp.js'
import type { Broker } from './broker.js'
import type { Entity, Outlet } from './entity.js'
import { BrokerError, lockLost } from './errors.js'
import { type DeliveryInternals, deliveryOf, linkOf, outcomes } from './rhea-internals.js'
import type { SessionLock } from './sessions.js'
import { type Lock, STATE_CODE, type StoredMessage } from './stored-message.js'

interface OutletState extends Outlet {
  link: Sender
  entity: Entity
  peekLock: boolean
  /** Deliveries whose lock lapsed before the client settled them, oldest first. */
  expired: DeliveryInternals[]
  /** On a session-enabled entity: the session this receiver holds. */
  sessionLock?: SessionLock | undefined
}

export type LinkOutcome = 'accepted' | 'released' | 'modified' | 'rejected'

/**
 * The server's side of the clients' receivers: each link attached to an entity is an outlet its
 * messages are delivered through (within the link's credit), locked for a peek-lock receiver, and
 * settled when the client settles the delivery.
 */
export class Outlets {
  readonly #byLink = new WeakMap<Sender, OutletState>()

  readonly #broker: Broker

  constructor(broker: Broker) {
    this.#broker = broker
  }

  /** Starts delivering `entity`'s messages on `link` (holding `sessionLock` on a session entity). */
  open(link: Sender, entity: Entity, sessionLock: SessionLock | undefined): void {
    const remote = linkOf(link).remote.attach
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
          this.#broker.schedulePump(entity)
          return 0
        }
        while (queued.length > 0 && queued[0]! < outgoing.next_pending_delivery) queued.shift()
        const wanted = linkOf(link).credit - queued.length
        if (wanted > 0 && outgoing.available() < wanted) reclaimExpired(outlet)
        return Math.max(0, Math.min(wanted, outgoing.available()))
      },
      deliver: (message, from) => queued.push(deliver(outlet, message, from)),
    }
    this.#byLink.set(link, outlet)
    entity.outlets.add(outlet)
    this.#broker.schedulePump(entity)
  }

  /** Stops deliveries on `link`; the outlet stays known so a late settlement still reaches the entity. */
  detach(link: Sender): void {
    const outlet = this.#byLink.get(link)
    if (!outlet) return
    outlet.entity.outlets.delete(outlet)
    // Closing a session receiver frees its session for the next one.
    if (outlet.sessionLock) outlet.entity.sessions?.release(outlet.sessionLock)
  }

  /** Detaches every outlet of a connection that is gone. Locks outlive links, as on Service Bus. */
  detachConnection(connection: Connection): void {
    for (const entity of this.#broker.entities()) {
      for (const outlet of entity.outlets) {
        if ((outlet as OutletState).link.connection === connection) this.detach((outlet as OutletState).link)
      }
    }
  }

  /** The link has credit again (or is draining): deliver what waits. */
  pump(link: Sender): void {
    this.#byLink.get(link)?.entity.pump()
  }

  /** Settlement of what we delivered, over the receiving link. */
  settle(context: EventContext, outcome: LinkOutcome): void {
    const delivery = deliveryOf(context.delivery!)
    const outlet = this.#byLink.get(context.sender!)
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
}

function deliver(outlet: OutletState, message: StoredMessage, entity: Entity): number {
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
function reclaimExpired(outlet: OutletState): void {
  for (const delivery of outlet.expired.splice(0)) settleDelivery(delivery, lockLost())
}

function settleDelivery(delivery: DeliveryInternals, error: BrokerError | undefined): void {
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

function takeString(info: Record<string, unknown>, key: string): string | undefined {
  const value = info[key]
  delete info[key]
  return value === undefined ? undefined : String(value)
}
