import type { Level } from 'level'

/**
 * Counts the calls a test makes the driver send to one method of its database (`driver.db`, the
 * driver's own escape hatch): how many LevelDB reads or writes a workload costs.
 */
export function countDbCalls(
  db: Level<string, string>,
  method: 'batch' | 'iterator',
): { readonly count: number } {
  const calls = { count: 0 }
  const target = db as unknown as Record<string, (...args: unknown[]) => unknown>
  const original = target[method]!.bind(db)
  target[method] = (...args: unknown[]) => {
    calls.count += 1
    return original(...args)
  }
  return calls
}
