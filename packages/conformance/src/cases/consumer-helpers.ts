import assert from 'node:assert/strict'
import type { Message } from '@anyqueue/queue-core'
import { receiveOne, sleep } from '../helpers.js'

/** Polls `check` until it holds or `ms` pass; fails with `what` otherwise, or at once when `broken` says why. */
export async function eventually(
  ms: number,
  what: string,
  check: () => boolean,
  broken?: () => string | undefined,
): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    // A promise already seen broken fails now, not when the wait runs out.
    const seen = broken?.()
    assert.equal(seen, undefined, seen)
    assert.ok(Date.now() < end, `timed out after ${ms} ms waiting for ${what}`)
    await sleep(50)
  }
}

export const quiet = { onError: () => {}, waitSeconds: 1 }

/**
 * How long to wait for something that should happen within seconds. Generous on purpose: the suite
 * runs many cases at once against one emulator, and on a loaded machine "soon" can take a while.
 * It only bounds how long a failing case takes to report, never what passes.
 */
export const PATIENCE = 60_000

/** The first message(s) to arrive on `queue`, acked. */
export async function drainOnce(
  queue: Parameters<typeof receiveOne>[0],
  ms: number,
): Promise<[Message<any>]> {
  const m = await receiveOne(queue, ms)
  await queue.ack(m)
  return [m]
}

/** A handler that fails every message with `reason`, counting in `calls` how often it ran. */
export function alwaysFailing(reason: string): { calls: number; handler: () => never } {
  const failing = {
    calls: 0,
    handler: (): never => {
      failing.calls++
      throw new Error(reason)
    },
  }
  return failing
}
