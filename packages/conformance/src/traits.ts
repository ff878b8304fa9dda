import assert from 'node:assert/strict'
import type { Capabilities } from '@anyqueue/queue-core/driver'

/**
 * Promises that hold around every case rather than in one: the runner checks them after each case,
 * so a driver that breaks them fails whichever case tripped it.
 */
export function assertCapabilitiesUnchanged(before: Capabilities, after: Capabilities): void {
  const changed = Object.keys({ ...before, ...after }).filter(
    (field) => !sameValue(before[field as keyof Capabilities], after[field as keyof Capabilities]),
  )
  assert.deepEqual(
    changed,
    [],
    `the capability manifest changed during the case (${changed
      .map((f) => `${f}: ${show(before[f as keyof Capabilities])} → ${show(after[f as keyof Capabilities])}`)
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

/** Equal capability values: the same primitive, or the same JSON (for `topics`, an object). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  return JSON.stringify(a) === JSON.stringify(b)
}

/** A capability value for a message. */
export function show(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)
}
