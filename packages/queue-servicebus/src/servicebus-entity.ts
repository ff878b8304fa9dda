import { LIMITS } from '@anyqueue/queue-core/driver'
import type { ServiceBusReceivedMessage, ServiceBusReceiver, ServiceBusSender } from '@azure/service-bus'
import { isLockGone } from './servicebus-errors.js'
import { type Settlement, SettlementLane } from './servicebus-settlement.js'

/**
 * The driver's links to one queue or subscription: its sender, a pool of receivers (a receiver
 * serves one receive at a time, so concurrent receives each take their own), and the messages this
 * process holds a lock on. Settling and renewing go by lock token: any open receiver serves.
 */
export class EntityLinks {
  /** A queue's own sender; for a subscription, its topic's, with `stamp` addressing it. */
  readonly sender: ServiceBusSender
  /** For a subscription: its name, set as `SUBSCRIPTION_PROPERTY` on what is sent to it alone. */
  readonly stamp: string | undefined
  /** Messages this process holds a lock on, by lock token: settled over their link. */
  readonly live = new Map<string, ServiceBusReceivedMessage>()
  /** Settles and renews by lock token; any receiver of the entity can settle any of its messages. */
  #settler: ServiceBusReceiver
  readonly #idle: ServiceBusReceiver[]
  readonly #receivers: Set<ServiceBusReceiver>
  readonly #lane = new SettlementLane()
  readonly #openReceiver: () => ServiceBusReceiver

  constructor(sender: ServiceBusSender, stamp: string | undefined, openReceiver: () => ServiceBusReceiver) {
    this.sender = sender
    this.stamp = stamp
    this.#openReceiver = openReceiver
    const receiver = openReceiver()
    this.#settler = receiver
    this.#idle = [receiver]
    this.#receivers = new Set([receiver])
  }

  /**
   * Receives on an idle receiver of the pool (a new one when all are busy); what arrives is held
   * in `live`. An aborted receive returns nothing, and its receiver is reclaimed.
   */
  async receive(
    maxMessages: number,
    maxWaitTimeInMs: number,
    abortSignal: AbortSignal | undefined,
  ): Promise<ServiceBusReceivedMessage[]> {
    const receiver = this.#idle.pop() ?? this.#addReceiver()
    let received: ServiceBusReceivedMessage[]
    let reclaiming = false
    const scoped = scopedSignal(abortSignal)
    try {
      received = await receiver.receiveMessages(maxMessages, { maxWaitTimeInMs, abortSignal: scoped.signal })
    } catch (error) {
      if ((error as Error).name === 'AbortError') {
        reclaiming = true
        void this.#reclaim(receiver)
        return []
      }
      throw error
    } finally {
      scoped.release()
      if (!reclaiming && this.#receivers.has(receiver)) this.#idle.push(receiver)
    }
    const now = Date.now()
    for (const [token, m] of this.live) {
      if ((m.lockedUntilUtc?.getTime() ?? 0) < now) this.live.delete(token)
    }
    for (const m of received) this.live.set(m.lockToken!, m)
    return received
  }

  /**
   * Settles over the link the message came on while this process holds it, else through
   * `$management` by lock token. A lock that is gone makes it a no-op: the message was settled
   * already, or it will be delivered again — nothing is lost either way.
   */
  async settle(handle: string, kind: Settlement): Promise<void> {
    const message = this.live.get(handle)
    this.live.delete(handle)
    try {
      await this.#lane.run(kind, () =>
        kind === 'complete'
          ? this.#settler.completeMessage(message ?? stub(handle))
          : this.#settler.abandonMessage(message ?? stub(handle)),
      )
    } catch (error) {
      if (isLockGone(error)) return
      throw error
    }
  }

  /** Renews a lock; one that is gone (settled, or lapsed) makes it a no-op. */
  async renew(handle: string): Promise<void> {
    const message = this.live.get(handle) ?? stub(handle)
    try {
      await this.#settler.renewMessageLock(message)
    } catch (error) {
      if (isLockGone(error)) {
        this.live.delete(handle)
        return
      }
      throw error
    }
  }

  async close(): Promise<void> {
    const receivers = [...this.#receivers]
    this.#receivers.clear()
    this.#idle.length = 0
    await Promise.allSettled([this.sender.close(), ...receivers.map((r) => r.close())])
  }

  #addReceiver(): ServiceBusReceiver {
    const receiver = this.#openReceiver()
    this.#receivers.add(receiver)
    return receiver
  }

  /**
   * After an aborted receive. The SDK gives such a receive up without draining its link: the credit
   * it granted stays open, and what the queue delivers on it later reaches no one and stays locked
   * for a whole lease. A short receive on the same link takes those deliveries and drains the
   * credit; they go straight back (abandoned, as a consumer that stops releases what it did not
   * start), and the receiver rejoins the pool. Should that fail, the link is closed instead.
   */
  async #reclaim(receiver: ServiceBusReceiver): Promise<void> {
    try {
      const stray = await receiver.receiveMessages(LIMITS.maxBatch, { maxWaitTimeInMs: 50 })
      await Promise.all(
        stray.map((m) => {
          this.live.set(m.lockToken!, m)
          return this.settle(m.lockToken!, 'abandon').catch(() => {})
        }),
      )
      if (this.#receivers.has(receiver)) this.#idle.push(receiver)
    } catch {
      this.#discard(receiver)
    }
  }

  /** Takes a receiver out of the pool for good, replacing it as the entity's settling receiver. */
  #discard(receiver: ServiceBusReceiver): void {
    if (!this.#receivers.delete(receiver)) return
    if (this.#settler === receiver) {
      // Settling and renewing go by lock token: any open receiver of the entity serves.
      let next = this.#idle.at(-1)
      if (!next) {
        next = this.#addReceiver()
        this.#idle.push(next)
      }
      this.#settler = next
    }
    void receiver.close().catch(() => {})
  }
}

/**
 * A message this process does not hold, for settling by lock token: without a link, the SDK
 * settles it through the entity's `$management` node, as it does a deferred message.
 */
function stub(lockToken: string): ServiceBusReceivedMessage {
  return { lockToken, delivery: {}, body: undefined } as unknown as ServiceBusReceivedMessage
}

/**
 * A signal for one SDK call, aborted with the caller's, and `release()` to unhook it afterwards.
 * The SDK (7.9) leaves a listener on the signal of every receive that drains its leftover credit;
 * given the caller's own signal — which a consumer passes to every receive it makes — those pile
 * up for as long as the consumer runs. On a signal of its own they go when the call is over.
 */
function scopedSignal(caller: AbortSignal | undefined): {
  signal: AbortSignal | undefined
  release: () => void
} {
  if (caller === undefined) return { signal: undefined, release: () => {} }
  const controller = new AbortController()
  if (caller.aborted) {
    controller.abort(caller.reason)
    return { signal: controller.signal, release: () => {} }
  }
  const abort = () => controller.abort(caller.reason)
  caller.addEventListener('abort', abort, { once: true })
  return { signal: controller.signal, release: () => caller.removeEventListener('abort', abort) }
}
