import type { HandlerRun } from './handler-run.js'

/**
 * The messages of one receive. They were leased together and their handlers started together, so
 * their renewals and time limits fall due together: keeping those per cohort instead of per message
 * makes one timer entry per receive, not ten.
 */
export class Cohort {
  readonly runs: HandlerRun[]
  /** Runs not ended yet; at 0 the cohort is forgotten. */
  live: number

  constructor(runs: HandlerRun[]) {
    this.runs = runs
    this.live = runs.length
  }
}
