/**
 * Topics under races (issue 27): a publish racing the creation or deletion of another subscription
 * of its topic must neither fail nor stall the subscriptions it did not touch, and every resolved
 * publish reaches exactly the subscriptions that existed (and matched) while it ran.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { OutgoingMessage, SubscriptionFilter } from '@anyqueue/queue-core/driver'
import fc from 'fast-check'
import { afterAll, expect, test } from 'vitest'
import { createLocalDriver, type LocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-topic-races-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let stores = 0
const open = () => createLocalDriver({ location: join(root, `s${stores++}`), leaseSeconds: 60 })

const message = (n: number, colour?: string): OutgoingMessage => ({
  body: String(n),
  contentType: 'text/plain',
  bytes: String(n).length,
  attributes: colour === undefined ? {} : { colour },
  delaySeconds: 0,
})

/** Every message body in `queue`, received until a receive comes back empty. */
async function drain(driver: LocalDriver, queue: string): Promise<string[]> {
  const bodies: string[] = []
  for (;;) {
    const got = await driver.receiveBatch(queue, { maxMessages: 10, waitSeconds: 0 })
    if (got.length === 0) return bodies
    bodies.push(...got.map((m) => m.body as string))
    await driver.ackBatch(
      queue,
      got.map((m) => m.receiptHandle),
    )
  }
}

test('a publish loop racing create/delete of a second subscription neither fails nor stalls the first', async () => {
  const driver = open()
  await driver.topics.createTopic('t')
  await driver.topics.createSubscription('t', 'steady', undefined)
  let stop = false
  const churn = (async () => {
    while (!stop) {
      await driver.topics.createSubscription('t', 'churn', undefined)
      await driver.topics.deleteSubscription('t', 'churn')
    }
  })()
  const published: string[] = []
  // Four publishers at once, so publishes are in flight at every step of a create or delete.
  await Promise.all(
    [0, 1, 2, 3].map(async (p) => {
      for (let n = p * 1000; n < p * 1000 + 150; n++) {
        await driver.topics.publishBatch('t', [message(n)])
        published.push(String(n))
      }
    }),
  )
  stop = true
  await churn
  // The untouched subscription delivers every publish in this same process, without a reopen.
  expect((await drain(driver, 't/steady')).sort()).toEqual(published.sort())
  await driver.close()
})

test('a publish that fails on one subscription leaves no gap that stalls another', async () => {
  const driver = open()
  await driver.topics.createTopic('t')
  await driver.topics.createSubscription('t', 'steady', undefined)
  await driver.topics.createSubscription('t', 'gone', undefined)
  await driver.topics.publishBatch('t', [message(0)])
  // The subscription's queue vanishes under the topic (what a racing deletion used to look like).
  await driver.deleteQueue('t/gone')
  await driver.topics.publishBatch('t', [message(1)]).catch(() => undefined)
  await driver.topics.deleteSubscription('t', 'gone')
  await driver.topics.publishBatch('t', [message(2)])
  expect(await drain(driver, 't/steady')).toEqual(expect.arrayContaining(['0', '2']))
  await driver.close()
})

const RED: SubscriptionFilter = { colour: { equals: ['red'] } }

/** A subscription's lifetime on the logical clock: when its create started and resolved, and its delete. */
interface Lifetime {
  name: string
  filter: SubscriptionFilter | undefined
  created: [number, number]
  deleted?: [number, number]
}

test('property: every resolved publish reaches exactly the subscriptions that existed and matched', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ create: fc.boolean(), red: fc.boolean() }), { minLength: 1, maxLength: 10 }),
      fc.array(
        fc.array(fc.array(fc.constantFrom('red', 'blue'), { minLength: 1, maxLength: 3 }), { maxLength: 15 }),
        {
          minLength: 2,
          maxLength: 4,
        },
      ),
      async (steps, publishers) => {
        const driver = open()
        let clock = 0
        await driver.topics.createTopic('t')
        const lifetimes: Lifetime[] = []
        for (const [name, filter] of [
          ['steady', undefined],
          ['reds', RED],
        ] as const) {
          await driver.topics.createSubscription('t', name, filter)
          lifetimes.push({ name, filter, created: [clock, clock++] })
        }
        const publishes: Array<{ messages: OutgoingMessage[]; span: [number, number] }> = []
        let next = 0
        const churn = (async () => {
          for (const [k, step] of steps.entries()) {
            const live = lifetimes.filter((l) => l.name.startsWith('c') && !l.deleted)
            if (step.create || live.length === 0) {
              const lifetime: Lifetime = {
                name: `c${k}`,
                filter: step.red ? RED : undefined,
                created: [clock++, 0],
              }
              await driver.topics.createSubscription('t', lifetime.name, lifetime.filter)
              lifetime.created[1] = clock++
              lifetimes.push(lifetime)
            } else {
              const lifetime = live[0]!
              const started = clock++
              await driver.topics.deleteSubscription('t', lifetime.name)
              lifetime.deleted = [started, clock++]
            }
          }
        })()
        await Promise.all([
          churn,
          ...publishers.map(async (batches) => {
            for (const colours of batches) {
              const messages = colours.map((colour) => message(next++, colour))
              const started = clock++
              await driver.topics.publishBatch('t', messages)
              publishes.push({ messages, span: [started, clock++] })
            }
          }),
        ])
        for (const lifetime of lifetimes) {
          const address = `t/${lifetime.name}`
          if (lifetime.deleted) {
            // Deleted means gone: not readable, and nothing of it left on disk.
            await expect(
              driver.receiveBatch(address, { maxMessages: 1, waitSeconds: 0 }),
            ).rejects.toMatchObject({
              code: 'QUEUE_NOT_FOUND',
            })
            const left = await driver.db.keys({ gt: `M!${address}!`, lt: `M!${address}!~` }).all()
            expect(left).toEqual([])
            continue
          }
          const got = await drain(driver, address)
          expect(new Set(got).size, `${lifetime.name} got a message twice`).toBe(got.length)
          const received = new Set(got)
          for (const { messages, span } of publishes) {
            const existed = lifetime.created[1] < span[0]
            const notYet = lifetime.created[0] > span[1]
            for (const m of messages) {
              const matches = lifetime.filter === undefined || m.attributes.colour === 'red'
              if (existed && matches)
                expect(received.has(m.body), `${lifetime.name} missed ${m.body}`).toBe(true)
              if (notYet || !matches)
                expect(received.has(m.body), `${lifetime.name} got ${m.body}`).toBe(false)
            }
          }
        }
        await driver.close()
      },
    ),
    { seed: 20_261_207, numRuns: 25 },
  )
}, 120_000)
