import type { HandlerRun } from './handler-run.js'

/**
 * The messages of one receive. They were leased together and their handlers started together, so
 * their renewals and time limits fall due together: keeping those per cohort instead of per message
 * makes one timer entry per receive, not ten.
 */
export class Cohort {
  readonly runs: HandlerRun[] = []
  /** Runs not ended yet; at 0 the cohort is forgotten. */
  live = 0
  /** `performance.now()` when its handlers started, for event durations; 0 when nobody listens. */
  readonly startedAt: number

  constructor(startedAt = 0) {
    this.startedAt = startedAt
  }

  add(run: HandlerRun): void {
    this.runs.push(run)
    this.live++
  }
}
