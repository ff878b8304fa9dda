import type { Message, Queue } from '../queue.js'
import { DueList } from './due-list.js'

/**
 * Keeps the leases of running handlers alive: each tracked message is renewed every half-lease,
 * all of them on one timer. A renewal that fails reports the message as lost (someone else may
 * hold it now). `stop()` ends every renewal at once, and no timer of it is left behind.
 */
export class LeaseRenewer {
  readonly #queue: Queue<any>
  readonly #onLost: (message: Message<any>, error: unknown) => void
  readonly #due: DueList<Message<any>> | undefined

  constructor(queue: Queue<any>, onLost: (message: Message<any>, error: unknown) => void) {
    this.#queue = queue
    this.#onLost = onLost
    // A driver that cannot renew leaves the lease as it is: the handler time limit still ends it.
    this.#due = queue.capabilities.renewLease
      ? new DueList((queue.leaseSeconds * 1000) / 2, (message) => this.#renew(message))
      : undefined
  }

  get tracked(): number {
    return this.#due?.size ?? 0
  }

  track(message: Message<any>): void {
    this.#due?.add(message)
  }

  untrack(message: Message<any>): void {
    this.#due?.delete(message)
  }

  stop(): void {
    this.#due?.clear()
  }

  #renew(message: Message<any>): void {
    const due = this.#due!
    due.add(message) // the next renewal, counted from this one
    let renewing: Promise<void>
    try {
      renewing = this.#queue.renewLease(message)
    } catch (error) {
      renewing = Promise.reject(error)
    }
    renewing.catch((error: unknown) => {
      // A handler that finished, or a consumer that stopped, meanwhile: nothing is lost any more.
      if (!due.has(message)) return
      due.delete(message)
      this.#onLost(message, error)
    })
  }
}
