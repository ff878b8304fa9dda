import assert from 'node:assert/strict'
import type { Capabilities } from '@anyqueue/queue-core/driver'

/**
 * Promises that hold around every case rather than in one: the runner checks them after each case,
 * so a driver that breaks them fails whichever case tripped it.
 */
export function assertCapabilitiesUnchanged(before: Capabilities, after: Capabilities): void {
  const changed = Object.keys({ ...before, ...after }).filter(
    (field) => !Object.is(before[field as keyof Capabilities], after[field as keyof Capabilities]),
  )
  assert.deepEqual(
    changed,
    [],
    `the capability manifest changed during the case (${changed
      .map(
        (f) => `${f}: ${String(before[f as keyof Capabilities])} → ${String(after[f as keyof Capabilities])}`,
      )
      .join(', ')}); capabilities must never change over a driver's lifetime`,
  )
}

/** Every driver call of the case left the manifest as declared (see `InstrumentedDriver`). */
export function assertNoCapabilityChanges(changes: readonly string[]): void {
  assert.deepEqual(
    changes.slice(0, 3),
    [],
    `the capability manifest changed during an operation (${changes.slice(0, 3).join('; ')}); capabilities must never change over a driver's lifetime`,
  )
}
