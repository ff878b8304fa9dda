import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { consume, countMessages, QueueClient } from '@anyqueue/queue-core'
import { afterAll, describe, expect, onTestFinished, test, vi } from 'vitest'
import { createLocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-consumer-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let folders = 0
const location = () => join(root, `db${++folders}`)

describe('consumer on the local driver', () => {
  test('10,000 messages, concurrency 32, 5% random failures: each succeeds or is dead-lettered, none lost', {
    timeout: 300_000,
  }, async () => {
    // The driver's leases run on Date.now(), frozen here: on a loaded machine a renewal that comes
    // late would let a lease run out, and the redelivery at-least-once allows would read as a
    // duplicate. Frozen, no lease runs out, so any duplicate is a bug. The consumer's own timers
    // (renewals, pauses) and LevelDB's I/O stay real.
    vi.useFakeTimers({ toFake: ['Date'] })
    onTestFinished(() => {
      vi.useRealTimers()
    })
    const client = new QueueClient(createLocalDriver({ location: location(), leaseSeconds: 5, sync: false }))
    await client.createQueue('work')
    await client.createQueue('work-dlq')
    const queue = client.queue<number>('work')
    const total = 10_000
    for (let b = 0; b < total / 10; b++) {
      await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: b * 10 + i })))
    }
    const succeeded = new Map<number, number>()
    const errors: unknown[] = []
    let deadLettered = 0
    const consumer = consume(
      queue,
      (m) => {
        if (Math.random() < 0.05) throw new Error('random failure')
        succeeded.set(m.payload, (succeeded.get(m.payload) ?? 0) + 1)
      },
      {
        concurrency: 32,
        maxAttempts: 2,
        backoff: () => 0,
        waitSeconds: 1,
        onError: (e) => errors.push(e),
        onEvent: (e) => {
          if (e.type === 'dead-lettered') deadLettered++
        },
      },
    )
    const deadline = performance.now() + 270_000 // only a consumer that loses messages waits it out
    while (succeeded.size + deadLettered < total && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 100))
    await consumer.stop()
    const duplicates = [...succeeded.values()].reduce((sum, n) => sum + n - 1, 0)
    const inDeadLetters = await countMessages(client.queue('work-dlq'))
    console.log(
      `10,000 messages: ${succeeded.size} succeeded, ${inDeadLetters} dead-lettered, ${duplicates} duplicate successful deliveries`,
    )
    expect(errors).toEqual([])
    expect(succeeded.size + inDeadLetters).toBe(total) // none lost
    expect(inDeadLetters).toBe(deadLettered)
    expect(inDeadLetters).toBeGreaterThan(0) // ~0.25% fail twice in a row
    expect(duplicates).toBe(0) // no lease runs out (see above), so nothing is delivered twice
    await client.close()
  })

  test('a consumer killed with SIGKILL mid-handler: the message is delivered again to a new consumer', {
    timeout: 300_000, // a child process, then a consumer: node starts slowly on a loaded machine
  }, async () => {
    const at = location()
    let client = new QueueClient(createLocalDriver({ location: at, createIfMissing: true }))
    const { id } = await client.queue('jobs').send('survive me')
    await client.close()
    const child = fileURLToPath(new URL('./fixtures/consumer-child.mjs', import.meta.url))
    const proc = spawn(process.execPath, [child, at, 'jobs'], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      proc.once('error', reject)
      proc.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes(`started ${id}`)) {
          proc.kill('SIGKILL')
          proc.once('exit', () => resolve())
        }
      })
    })
    client = new QueueClient(createLocalDriver({ location: at, leaseSeconds: 2 }))
    const handled: Array<{ id: string; attempt: number }> = []
    const consumer = consume(
      client.queue('jobs'),
      (m) => void handled.push({ id: m.id, attempt: m.attempt }),
      {
        waitSeconds: 1,
      },
    )
    const end = Date.now() + 30_000
    while (handled.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
    await consumer.stop()
    expect(handled).toEqual([{ id, attempt: 2 }])
    await client.close()
  })
})
