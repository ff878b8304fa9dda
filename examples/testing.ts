// Testing application code without a backend: the memory driver, and a clock you move instead of
// waiting. (In a test runner, put the same lines in a test; `vi.useFakeTimers()` works too.)
//
//   npx -y pnpm@10 -C examples example testing.ts
import assert from 'node:assert/strict'
import { type Queue, QueueClient } from '@anyqueue/queue-core'
import { createMemoryDriver, ManualClock } from '@anyqueue/queue-memory'

// The code under test: a reminder 15 minutes after sign-up.
async function onSignUp(reminders: Queue<{ userId: number }>, userId: number): Promise<void> {
  await reminders.send({ userId }, { delaySeconds: 15 * 60 })
}

const clock = new ManualClock()
const client = new QueueClient(createMemoryDriver({ clock, createIfMissing: true }))
const reminders = client.queue<{ userId: number }>('reminders')

await onSignUp(reminders, 42)
await clock.advance(14 * 60_000 + 59_000)
assert.deepEqual(await reminders.receive({ waitSeconds: 0 }), [], 'no reminder before 15 minutes')
await clock.advance(1_000)
const [reminder] = await reminders.receive({ waitSeconds: 0 })
assert.equal(reminder?.payload.userId, 42)

// Not acked: after the 30-second lease it comes back, as a second attempt.
await clock.advance(30_000)
const [again] = await reminders.receive({ waitSeconds: 0 })
assert.equal(again?.attempt, 2)
await reminders.ack(again)
await client.close()
console.log('testing example: 3 assertions passed, 15 minutes and 30 seconds in no time')
