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
  /** Whether the client's connection is open (`undefined`: cannot tell): see `servicebus-connection.ts`. */
  readonly #connectionOpen: () => boolean | undefined

  constructor(
    sender: ServiceBusSender,
    stamp: string | undefined,
    openReceiver: () => ServiceBusReceiver,
    connectionOpen: () => boolean | undefined,
  ) {
    this.sender = sender
    this.stamp = stamp
    this.#openReceiver = openReceiver
    this.#connectionOpen = connectionOpen
    const receiver = openReceiver()
    this.#settler = receiver
    this.#idle = [receiver]
    this.#receivers = new Set([receiver])
  }

  /**
   * Receives on an idle receiver of the pool (a new one when all are busy); what arrives is held
   * in `live`. An aborted receive returns nothing at once; its SDK call is ended in the background
   * (see `#abandon`), and its receiver reclaimed.
   */
  async receive(
    maxMessages: number,
    maxWaitTimeInMs: number,
    abortSignal: AbortSignal | undefined,
  ): Promise<ServiceBusReceivedMessage[]> {
    if (abortSignal?.aborted) return []
    const receiver = this.#idle.pop() ?? this.#addReceiver()
    // The SDK gets a signal of its own, never the caller's: it leaves a listener on the signal of
    // every receive (7.9), which would pile up on a consumer's long-lived one; and an abort must
    // not reach it while it opens the connection (see `servicebus-connection.ts`).
    const sdk = abortSignal ? new AbortController() : undefined
    const call = receiver.receiveMessages(maxMessages, { maxWaitTimeInMs, abortSignal: sdk?.signal })
    let received: ServiceBusReceivedMessage[] | 'aborted'
    let onAbort = () => {}
    const aborted = new Promise<'aborted'>((resolve) => {
      onAbort = () => resolve('aborted')
    })
    abortSignal?.addEventListener('abort', onAbort, { once: true })
    try {
      received = await Promise.race([call, aborted])
    } catch (error) {
      if (this.#receivers.has(receiver)) this.#idle.push(receiver)
      throw error
    } finally {
      abortSignal?.removeEventListener('abort', onAbort)
    }
    if (received === 'aborted') {
      void this.#abandon(receiver, call, sdk!)
      return []
    }
    if (this.#receivers.has(receiver)) this.#idle.push(receiver)
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
   * Ends the SDK call of a receive its caller gave up. The abort is passed on once the client's
   * connection is open — an abort while it opens breaks the shared connection for every later call
   * (see `servicebus-connection.ts`) — and not at all when that cannot be told: the call then runs
   * out its wait. Whatever it still receives goes straight back (abandoned); the receiver is then
   * reclaimed (after an abort) or rejoins the pool, or is closed should the call fail.
   */
  async #abandon(
    receiver: ServiceBusReceiver,
    call: Promise<ServiceBusReceivedMessage[]>,
    sdk: AbortController,
  ): Promise<void> {
    let poll: ReturnType<typeof setInterval> | undefined
    const open = this.#connectionOpen()
    if (open) sdk.abort()
    else if (open === false) {
      poll = setInterval(() => {
        if (!this.#connectionOpen()) return
        clearInterval(poll)
        sdk.abort()
      }, 10)
    }
    try {
      const stray = await call
      await this.#giveBack(stray)
      if (this.#receivers.has(receiver)) this.#idle.push(receiver)
    } catch (error) {
      if ((error as Error).name === 'AbortError') return this.#reclaim(receiver)
      this.#discard(receiver)
    } finally {
      clearInterval(poll)
    }
  }

  /** Abandons messages no caller will see, as a consumer that stops releases what it did not start. */
  async #giveBack(stray: ServiceBusReceivedMessage[]): Promise<void> {
    await Promise.all(
      stray.map((m) => {
        this.live.set(m.lockToken!, m)
        return this.settle(m.lockToken!, 'abandon').catch(() => {})
      }),
    )
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
      await this.#giveBack(stray)
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
