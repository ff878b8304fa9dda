import { describe, test } from 'vitest'
import { triggerCases } from './trigger-cases.js'
import type { TriggerCase, TriggerCaseOptions, TriggerTarget } from './trigger-target.js'

/**
 * Registers the trigger section for one runner: `describe('trigger: <name>')`, one test per case.
 * Pass a function to resolve the target lazily (after starting a backend); return a string instead
 * to skip the section with that reason.
 */
export function triggerConformanceSuite(
  name: string,
  target: TriggerTarget | (() => Promise<TriggerTarget | string>),
  options: TriggerCaseOptions & { cases?: readonly TriggerCase[] } = {},
): void {
  const deadlineMs = options.deadlineMs ?? 60_000
  let resolved: Promise<TriggerTarget | string> | undefined
  const resolve = () => {
    resolved ??= typeof target === 'function' ? target() : Promise.resolve(target)
    return resolved
  }
  describe(`trigger: ${name}`, () => {
    for (const c of options.cases ?? triggerCases) {
      test(`${c.id}: ${c.name}`, { timeout: deadlineMs * 2 + 30_000 }, async ({ skip }) => {
        const got = await resolve()
        if (typeof got === 'string') return skip(got)
        const opened = await got.open()
        try {
          await c.run(opened, { deadlineMs })
        } finally {
          await opened.close()
        }
      })
    }
  })
}
