import type { Capabilities, FilterOperator } from '@anyqueue/queue-core/driver'
import type { CaseContext } from './context.js'
import type { ConformanceTarget } from './target.js'

/**
 * One promise of the contract, stated in a few lines. `id` is stable across releases (store names
 * and `--case` filters use it); `name` states the promise, as the matrix shows it.
 */
export interface ConformanceCase {
  /** `<area>.<promise>`, e.g. `ack.exactly-the-named-message`. Stable; short (≤ 40 characters). */
  id: string
  /** The promise, in one line. */
  name: string
  /** What the driver must declare for the case to apply; each unmet one is a skip with its reason. */
  requires?: readonly Requirement[]
  /** Longest the case may take, in ms, given the driver's lease. Default: two leases + 30 s. */
  timeoutMs?: (leaseMs: number) => number
  run(ctx: CaseContext): Promise<void>
}

/** A precondition stated as data: it answers why a case does not apply, or undefined when it does. */
export interface Requirement {
  readonly label: string
  unmet(capabilities: Capabilities, target: ConformanceTarget): string | undefined
}

const requirement = (
  label: string,
  unmet: (capabilities: Capabilities, target: ConformanceTarget) => string | undefined,
): Requirement => ({ label, unmet })

/** The requirements cases declare, each with the skip reason it writes. */
export const needs = {
  renewLease: requirement('renewLease', (caps) =>
    caps.renewLease ? undefined : 'the driver declares renewLease: false',
  ),
  /** A nack may delay redelivery by at least `seconds`. */
  nackDelay: (seconds: number) =>
    requirement(`nackDelay ≥ ${seconds}`, (caps) =>
      caps.nackDelay >= seconds ? undefined : `the driver declares nackDelay: ${caps.nackDelay}`,
    ),
  /** A send may be delayed by at least `seconds`. */
  delay: (seconds: number) =>
    requirement(`delay ≥ ${seconds}`, (caps) =>
      caps.delay >= seconds
        ? undefined
        : caps.delay === 0
          ? 'the driver declares delay: 0 (no delayed send)'
          : `the driver declares delay: ${caps.delay}`,
    ),
  fifo: requirement('fifo', (caps) =>
    caps.fifo ? undefined : 'the driver declares fifo: false (no ordering guarantee)',
  ),
  persistent: requirement('persistent', (caps) =>
    caps.persistent ? undefined : 'the driver declares persistent: false',
  ),
  /** Stale handles are strict no-ops (see `Capabilities.staleHandles`). */
  staleHandlesIgnored: requirement('staleHandles: ignored', (caps) =>
    caps.staleHandles === 'ignored'
      ? undefined
      : `the driver declares staleHandles: '${caps.staleHandles}' (a stale handle may still act on the message it named)`,
  ),
  /** The driver has topics and subscriptions (`capabilities.topics`). */
  topics: requirement('topics', (caps) =>
    caps.topics ? undefined : 'the driver declares topics: false (no topics and subscriptions)',
  ),
  /** The driver's subscription filters express the portable operator `operator`. */
  filter: (operator: FilterOperator) =>
    requirement(`filter ${operator}`, (caps) =>
      !caps.topics
        ? 'the driver declares topics: false (no topics and subscriptions)'
        : caps.topics.filters.includes(operator)
          ? undefined
          : `the driver's topics.filters do not include ${operator}`,
    ),
  /**
   * Another process can open the same store: the target names a module a child can open, and the
   * driver's messages outlive the process that holds them.
   */
  sharedAcrossProcesses: requirement('a store shared across processes', (caps, target) =>
    !caps.persistent
      ? 'the driver declares persistent: false, so its store lives and dies with one process'
      : target.process
        ? undefined
        : 'the target names no module a child process can open (ConformanceTarget.process)',
  ),
  /** The target can play another producer (`ConformanceTarget.sendForeign`). */
  sendForeign: requirement('a foreign producer', (_, target) =>
    target.sendForeign ? undefined : 'the target has no sendForeign hook (ConformanceTarget.sendForeign)',
  ),
  /** …and that producer can send a body that is not UTF-8 text. */
  foreignBytes: requirement('foreign bodies that are not text', (_, target) =>
    !target.sendForeign
      ? 'the target has no sendForeign hook (ConformanceTarget.sendForeign)'
      : target.foreignBytes
        ? undefined
        : 'the backend carries text bodies only (ConformanceTarget.foreignBytes is not set): no producer can put bytes that are not UTF-8 on it',
  ),
} as const

/** Why `testCase` does not apply to this driver, or undefined when it does. */
export function skipReason(
  testCase: ConformanceCase,
  capabilities: Capabilities,
  target: ConformanceTarget,
): string | undefined {
  for (const requirement of testCase.requires ?? []) {
    const reason = requirement.unmet(capabilities, target)
    if (reason !== undefined) return reason
  }
  return undefined
}
