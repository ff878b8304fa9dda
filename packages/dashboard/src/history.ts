import type { ConsumerTotals } from './metrics.js'
import { depthOf, type TargetStats } from './targets.js'

/** One point of the charts: when, each queue's depth, and each consumer's handled total so far. */
export interface Sample {
  /** Unix time, seconds. */
  t: number
  depth: Record<string, number | null>
  handled: Record<string, number>
}

/**
 * The charts' recent past, kept in memory: a sample at most every `everyMs`, taken when the page
 * refreshes (nothing is read while no one watches), the last `size` kept.
 */
export class History {
  readonly #samples: Sample[] = []
  readonly #size: number
  readonly #everyMs: number

  constructor(size: number, everyMs: number) {
    this.#size = size
    this.#everyMs = everyMs
  }

  add(now: number, targets: readonly TargetStats[], totals: ReadonlyMap<string, ConsumerTotals>): void {
    const last = this.#samples.at(-1)
    if (last && now - last.t * 1000 < this.#everyMs) return
    const depth: Record<string, number | null> = {}
    for (const target of targets) depth[target.key] = depthOf(target.stats) ?? null
    const handled: Record<string, number> = {}
    for (const [queue, t] of totals) handled[queue] = t.handled
    this.#samples.push({ t: now / 1000, depth, handled })
    if (this.#samples.length > this.#size) this.#samples.shift()
  }

  samples(): readonly Sample[] {
    return this.#samples
  }
}
