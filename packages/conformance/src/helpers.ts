import assert from 'node:assert/strict'
import {
  isQueueError,
  type Message,
  type Payload,
  type Queue,
  type QueueErrorCode,
} from '@anyqueue/queue-core'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Asserts that `call` throws or rejects with a QueueError of `code`; returns that error. */
export async function expectQueueError(call: () => unknown, code: QueueErrorCode, what = 'the call') {
  let outcome: unknown
  try {
    await call()
  } catch (error) {
    outcome = error
  }
  assert.ok(outcome !== undefined, `${what} should have failed with ${code}, but it succeeded`)
  assert.ok(
    isQueueError(outcome, code),
    `${what} should have failed with ${code}, got ${String((outcome as { code?: string }).code ?? outcome)}`,
  )
  return outcome
}

/**
 * Receives until `enough` says stop or the deadline passes; returns every message seen. Polls with
 * long polls bounded by the deadline, never fixed sleeps.
 */
export async function receiveUntil<T extends Payload>(
  queue: Queue<T>,
  deadlineMs: number,
  enough: (seen: Message<T>[]) => boolean,
  maxMessages = 10,
): Promise<Message<T>[]> {
  const seen: Message<T>[] = []
  const end = Date.now() + deadlineMs
  while (!enough(seen)) {
    const remaining = end - Date.now()
    if (remaining <= 0) break
    const waitSeconds = Math.min(2, Math.max(0, remaining / 1000))
    seen.push(...(await queue.receive({ maxMessages, waitSeconds })))
  }
  return seen
}

/** Receives and acks everything until `count` distinct ids were seen or the deadline passes. */
export async function drain<T extends Payload>(queue: Queue<T>, count: number, deadlineMs = 20_000) {
  const byId = new Map<string, Message<T>>()
  await receiveUntil(queue, deadlineMs, (seen) => {
    for (const m of seen.splice(0)) {
      byId.set(m.id, m)
      void queue.ack(m).catch(() => {})
    }
    return byId.size >= count
  })
  return [...byId.values()]
}

/**
 * Asserts the queue hands out nothing for `ms` (long polls, so an early delivery is caught).
 * A message that reaches us only after the window closed proves nothing either way — a busy
 * backend may have served the last poll late — so it is returned to the caller, not failed on.
 */
export async function expectNothingFor<T extends Payload>(
  queue: Queue<T>,
  ms: number,
  why: string,
): Promise<Message<T>[]> {
  const end = Date.now() + ms
  for (;;) {
    const remaining = end - Date.now()
    if (remaining <= 0) return []
    const got = await queue.receive({ maxMessages: 10, waitSeconds: Math.min(2, remaining / 1000) })
    if (got.length > 0 && Date.now() > end) return got
    assert.equal(
      got.length,
      0,
      `${why}: got ${got.length} message(s) (ids ${got.map((m) => m.id).join(', ')})`,
    )
  }
}

/** For messages that must never appear (acked, rejected, another queue's): a late one fails too. */
export async function expectNeverFor(queue: Queue<any>, ms: number, why: string): Promise<void> {
  const late = await expectNothingFor(queue, ms, why)
  assert.equal(late.length, 0, `${why}: got ${late.length} message(s) just after the window`)
}

export async function receiveOne<T extends Payload>(queue: Queue<T>, waitMs = 10_000): Promise<Message<T>> {
  const [message] = await receiveUntil(queue, waitMs, (seen) => seen.length > 0, 1)
  assert.ok(message, `expected a message within ${waitMs} ms, got none`)
  return message
}
