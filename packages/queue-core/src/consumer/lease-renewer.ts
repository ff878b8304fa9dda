import type { Clock } from '../contract.js'
import type { Queue } from '../queue.js'
import { DueList } from './due-list.js'
import type { Cohort, HandlerRun } from './handler-run.js'

/**
 * Keeps the leases of running handlers alive: every third of a lease (so a renewal has two thirds of
 * it to arrive on a busy machine), each cohort still tracked renews
 * the messages whose runs have not ended, all on one timer. A renewal that fails reports that run
 * as lost (someone else may hold its message now). `stop()` ends every renewal at once, and no
 * timer of it is left behind.
 */
export class LeaseRenewer {
  readonly #queue: Queue<any>
  readonly #onLost: (run: HandlerRun, error: unknown) => void
  readonly #due: DueList<Cohort> | undefined

  constructor(queue: Queue<any>, onLost: (run: HandlerRun, error: unknown) => void, clock?: Clock) {
    this.#queue = queue
    this.#onLost = onLost
    // A driver that cannot renew leaves the lease as it is: the handler time limit still ends it.
    this.#due = queue.capabilities.renewLease
      ? new DueList((queue.leaseSeconds * 1000) / 3, (cohort) => this.#renew(cohort), clock)
      : undefined
  }

  track(cohort: Cohort): void {
    this.#due?.add(cohort)
  }

  untrack(cohort: Cohort): void {
    this.#due?.delete(cohort)
  }

  stop(): void {
    this.#due?.clear()
  }

  #renew(cohort: Cohort): void {
    if (cohort.live === 0) return
    this.#due!.add(cohort) // the next renewal, counted from this one
    for (const run of cohort.runs) {
      if (run.over) continue
      let renewing: Promise<void>
      try {
        renewing = this.#queue.renewLease(run.message)
      } catch (error) {
        renewing = Promise.reject(error)
      }
      renewing.catch((error: unknown) => {
        // A handler that finished, or a consumer that stopped, meanwhile: nothing is lost any more.
        if (!run.over) this.#onLost(run, error)
      })
    }
  }
}
