import { randomBytes } from 'node:crypto'
import {
  DEAD_LETTER_ATTRIBUTES,
  type Message,
  type Queue,
  QueueClient,
  type StandardSchemaV1,
} from '@anyqueue/queue-core'
import { type ServiceBusEmulator, startEmulator } from '@anyqueue/servicebus-emulator'
import { ServiceBusClient } from '@azure/service-bus'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createServiceBusDriver, createServiceBusFunctionHandler, RedeliverError } from '../src/index.js'
import { hostOnce } from './functions-host.js'

// The Functions handler on our emulator, called by `hostOnce`, which settles as the Functions host does.
let emulator: ServiceBusEmulator
let raw: ServiceBusClient
let client: QueueClient

beforeAll(async () => {
  emulator = await startEmulator()
  raw = new ServiceBusClient(emulator.connectionString)
  client = new QueueClient(
    createServiceBusDriver({
      connectionString: emulator.connectionString,
      admin: emulator.admin,
      leaseSeconds: 60,
    }),
  )
}, 60_000)

afterAll(async () => {
  await client?.close()
  await raw?.close()
  await emulator?.close()
})

interface Job {
  n: number
}

async function freshQueue(): Promise<{ queue: Queue<Job>; dlq: Queue }> {
  const name = `fn-${randomBytes(4).toString('hex')}`
  await client.createQueue(name)
  return { queue: client.queue<Job>(name), dlq: client.queue(`${name}-dlq`) }
}

async function hostUntil(
  queue: Queue<Job>,
  fn: Parameters<typeof hostOnce>[2],
  done: () => boolean | Promise<boolean>,
  body?: 'binary' | 'parsed',
) {
  const deadline = Date.now() + 45_000
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('the condition did not hold within 45 s')
    await hostOnce(raw, queue.name, fn, body)
  }
}

async function drain(queue: Queue<any>): Promise<Message<any>[]> {
  const got: Message<any>[] = []
  for (let empty = 0; empty < 2; ) {
    const batch = await queue.receive({ maxMessages: 10, waitSeconds: 1 })
    if (batch.length === 0) empty++
    for (const m of batch) {
      got.push(m)
      await queue.ack(m)
    }
  }
  return got
}

describe('createServiceBusFunctionHandler under a Functions-like host on the emulator', () => {
  test('a failing message alone is abandoned and redelivered with attempt 2; the others complete once', async () => {
    const { queue } = await freshQueue()
    for (const n of [1, 2, 3]) await queue.send({ n })
    const seen: Array<[number, number]> = []
    const fn = createServiceBusFunctionHandler(queue, (m) => {
      seen.push([m.payload.n, m.attempt])
      if (m.payload.n === 2 && m.attempt === 1) throw new Error('not yet')
    })
    const first = await hostOnce(raw, queue.name, fn)
    expect(first.filter((r) => r.threw !== undefined)).toHaveLength(1)
    expect(first.find((r) => r.threw)!.threw).toBeInstanceOf(RedeliverError)
    await hostUntil(queue, fn, () => seen.some(([n, a]) => n === 2 && a === 2))
    expect(seen.filter(([n]) => n !== 2).sort()).toEqual([
      [1, 1],
      [3, 1],
    ])
    expect(await drain(queue)).toEqual([])
  })

  test('a poison message reaches <name>-dlq after maxAttempts with its reason', async () => {
    const { queue, dlq } = await freshQueue()
    await queue.send({ n: 1 })
    const fn = createServiceBusFunctionHandler(
      queue,
      () => {
        throw new Error('poison')
      },
      { maxAttempts: 3 },
    )
    const dead: Message[] = []
    await hostUntil(queue, fn, async () => {
      dead.push(...(await dlq.receive({ maxMessages: 10, waitSeconds: 0 }).catch(() => [])))
      return dead.length > 0
    })
    expect(dead[0]!.payload).toEqual({ n: 1 })
    expect(dead[0]!.attributes).toMatchObject({
      [DEAD_LETTER_ATTRIBUTES.reason]: 'failed 3 times, last: Error: poison',
      [DEAD_LETTER_ATTRIBUTES.attempts]: '3',
      [DEAD_LETTER_ATTRIBUTES.source]: queue.name,
    })
    expect(await drain(queue)).toEqual([])
  })

  test('an undecodable or schema-invalid message is dead-lettered at once; the handler never sees it', async () => {
    const { queue, dlq } = await freshQueue()
    const schema: StandardSchemaV1<unknown, Job> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (v) =>
          typeof (v as Job)?.n === 'number'
            ? { value: v as Job }
            : { issues: [{ message: 'n is required' }] },
      },
    }
    const sender = raw.createSender(queue.name)
    await sender.sendMessages({ body: Buffer.from('{not json'), contentType: 'application/json' })
    await sender.close()
    await queue.send({ wrong: true } as never)
    const seen: Job[] = []
    const fn = createServiceBusFunctionHandler(queue, (m) => void seen.push(m.payload), { schema })
    const results = await hostOnce(raw, queue.name, fn)
    expect(results.map((r) => r.threw)).toEqual([undefined, undefined])
    const dead = await drain(dlq)
    expect(dead.map((m) => m.attributes[DEAD_LETTER_ATTRIBUTES.reason]).sort()).toEqual([
      expect.stringMatching(/^INVALID_PAYLOAD: .*is not valid JSON/),
      'invalid payload: n is required',
    ])
    expect(dead.map((m) => m.attributes[DEAD_LETTER_ATTRIBUTES.attempts])).toEqual(['1', '1'])
    expect(seen).toEqual([])
  })

  test('a slow handler is aborted at handlerTimeoutSeconds, abandoned, and retried', async () => {
    const { queue } = await freshQueue()
    await queue.send({ n: 1 })
    const reasons: unknown[] = []
    const done: number[] = []
    const fn = createServiceBusFunctionHandler(
      queue,
      (m, { signal }) =>
        m.attempt > 1
          ? void done.push(m.attempt)
          : new Promise((_, reject) =>
              signal.addEventListener('abort', () => {
                reasons.push(signal.reason)
                reject(signal.reason)
              }),
            ),
      { handlerTimeoutSeconds: 0.5 },
    )
    await hostUntil(queue, fn, () => done.length > 0)
    expect(done).toEqual([2])
    expect((reasons[0] as DOMException).name).toBe('TimeoutError')
  })

  test('a body the host parsed as JSON arrives as the same payload; attributes come through', async () => {
    const { queue } = await freshQueue()
    await queue.send({ n: 5 }, { attributes: { tenant: 'acme' } })
    const seen: Message<Job>[] = []
    const fn = createServiceBusFunctionHandler(queue, (m) => void seen.push(m))
    await hostUntil(queue, fn, () => seen.length > 0, 'parsed')
    expect(seen[0]).toMatchObject({ payload: { n: 5 }, attempt: 1, attributes: { tenant: 'acme' } })
  })
})
