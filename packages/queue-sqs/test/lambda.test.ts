import { randomBytes } from 'node:crypto'
import {
  type Backend,
  inCI,
  resolveBackend,
  type SqsConnection,
  sqsBackend,
} from '@anyqueue/conformance/backends'
import {
  DEAD_LETTER_ATTRIBUTES,
  type Message,
  type Queue,
  QueueClient,
  type StandardSchemaV1,
} from '@anyqueue/queue-core'
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createSqsDriver, createSqsLambdaHandler, type SqsLambdaOptions } from '../src/index.js'
import { deliverOnce } from './event-source-mapping.js'

// The Lambda handler against moto (or whatever the conformance suite resolves), invoked by
// `deliverOnce`, which does what an event source mapping with ReportBatchItemFailures does.
let backend: Backend<SqsConnection> | undefined
let skipReason: string | undefined
let raw: SQSClient
let client: QueueClient

beforeAll(async () => {
  try {
    backend = await resolveBackend(sqsBackend)
  } catch (error) {
    if (inCI()) throw error
    skipReason = (error as Error).message
    return
  }
  raw = new SQSClient(backend.connection)
  // A long visibility timeout: a record that comes back early came back because the handler said so.
  client = new QueueClient(createSqsDriver({ clientConfig: backend.connection, leaseSeconds: 120 }))
}, 60_000)

afterAll(async () => {
  await client?.close()
  raw?.destroy()
  await backend?.stop()
})

interface Job {
  n: number
}

async function freshQueue(skip: (note?: string) => void) {
  if (skipReason) skip(skipReason)
  const name = `lam-${randomBytes(4).toString('hex')}`
  await client.createQueue(name)
  const url = (await raw.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!
  return { queue: client.queue<Job>(name), url, dlq: () => client.queue(`${name}-dlq`) }
}

/** Delivers batches until `done` says so; the deadline only ends a test that would fail anyway. */
async function deliverUntil(
  url: string,
  lambda: Parameters<typeof deliverOnce>[2],
  done: () => boolean | Promise<boolean>,
  options?: Parameters<typeof deliverOnce>[3],
) {
  const deadline = Date.now() + 60_000
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('the condition did not hold within 60 s')
    await deliverOnce(raw, url, lambda, options)
  }
}

async function drain(queue: Queue<any>): Promise<Message<any>[]> {
  const got: Message<any>[] = []
  for (let empty = 0; empty < 2; ) {
    const batch = await queue.receive({ maxMessages: 10, waitSeconds: 1 })
    if (batch.length === 0) empty++
    got.push(...batch)
    for (const m of batch) await queue.ack(m)
  }
  return got
}

const opts = (o: SqsLambdaOptions<Job> = {}): SqsLambdaOptions<Job> => ({ backoff: () => 0, ...o })

describe('createSqsLambdaHandler on an SQS API', () => {
  test('a failing record comes back alone; the others are deleted; it is redelivered with attempt 2', async ({
    skip,
  }) => {
    const { queue, url } = await freshQueue(skip)
    for (const n of [1, 2, 3]) await queue.send({ n })
    const attempts: Array<[number, number]> = []
    const lambda = createSqsLambdaHandler(
      queue,
      (m) => {
        attempts.push([m.payload.n, m.attempt])
        if (m.payload.n === 2 && m.attempt === 1) throw new Error('not yet')
      },
      opts(),
    )
    const failures: string[][] = []
    await deliverUntil(
      url,
      async (event, context) => {
        const response = await lambda(event, context)
        failures.push(response.batchItemFailures.map((f) => f.itemIdentifier))
        return response
      },
      () => attempts.some(([n, a]) => n === 2 && a === 2),
    )
    const failedIds = failures.flat()
    expect(failedIds).toHaveLength(1)
    expect(attempts.filter(([n]) => n !== 2).map(([, a]) => a)).toEqual([1, 1])
    expect(await drain(queue)).toEqual([])
  })

  test('a poison record reaches <name>-dlq after maxAttempts with its reason, and the batch is not failed', async ({
    skip,
  }) => {
    const { queue, url, dlq } = await freshQueue(skip)
    await queue.send({ n: 1 })
    await queue.send({ n: 2 })
    const lambda = createSqsLambdaHandler(
      queue,
      (m) => {
        if (m.payload.n === 1) throw new Error('poison')
      },
      opts({ maxAttempts: 3 }),
    )
    const deadLetters: Message<unknown>[] = []
    await deliverUntil(url, lambda, async () => {
      deadLetters.push(
        ...(await dlq()
          .receive({ maxMessages: 10, waitSeconds: 0 })
          .catch(() => [])),
      )
      return deadLetters.length > 0
    })
    expect(deadLetters).toHaveLength(1)
    expect(deadLetters[0]!.payload).toEqual({ n: 1 })
    expect(deadLetters[0]!.attributes).toMatchObject({
      [DEAD_LETTER_ATTRIBUTES.reason]: 'failed 3 times, last: Error: poison',
      [DEAD_LETTER_ATTRIBUTES.attempts]: '3',
      [DEAD_LETTER_ATTRIBUTES.source]: queue.name,
    })
    expect(await drain(queue)).toEqual([])
  })

  test('an undecodable or schema-invalid record is dead-lettered at once; the handler never sees it', async ({
    skip,
  }) => {
    const { queue, url, dlq } = await freshQueue(skip)
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
    await raw.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{not json',
        MessageAttributes: { 'content-type': { DataType: 'String', StringValue: 'application/json' } },
      }),
    )
    await queue.send({ wrong: true } as never)
    await queue.send({ n: 7 })
    const seen: Job[] = []
    const lambda = createSqsLambdaHandler(queue, (m) => void seen.push(m.payload), opts({ schema }))
    const result = await deliverOnce(raw, url, lambda)
    expect(result.response?.batchItemFailures).toEqual([])
    await deliverUntil(url, lambda, () => seen.length > 0 || false)
    expect(seen).toEqual([{ n: 7 }])
    const deadLetters = await drain(dlq())
    expect(deadLetters.map((m) => m.attributes[DEAD_LETTER_ATTRIBUTES.reason]).sort()).toEqual([
      expect.stringMatching(/^INVALID_PAYLOAD: .*the body of message .* is not valid JSON/),
      'invalid payload: n is required',
    ])
    expect(deadLetters.every((m) => m.attributes[DEAD_LETTER_ATTRIBUTES.attempts] === '1')).toBe(true)
  })

  test('a slow handler is aborted before the invocation deadline, reported failed, and retried', async ({
    skip,
  }) => {
    const { queue, url } = await freshQueue(skip)
    await queue.send({ n: 1 })
    const reasons: unknown[] = []
    const succeeded: number[] = []
    const lambda = createSqsLambdaHandler(
      queue,
      (m, { signal }) =>
        m.attempt > 1
          ? void succeeded.push(m.attempt)
          : new Promise((_, reject) =>
              signal.addEventListener('abort', () => {
                reasons.push(signal.reason)
                reject(signal.reason)
              }),
            ),
      opts({ settleMarginMs: 1_000 }),
    )
    let firstFailures: unknown
    await deliverUntil(
      url,
      async (event, context) => {
        const response = await lambda(event, context)
        firstFailures ??= response.batchItemFailures
        return response
      },
      () => succeeded.length > 0,
      { remainingMs: 1_300 },
    )
    expect((reasons[0] as DOMException).name).toBe('TimeoutError')
    expect(firstFailures).toHaveLength(1)
    expect(succeeded).toEqual([2])
    expect(await drain(queue)).toEqual([])
  })

  test('retry(delay) changes the visibility to the delay: the record is back long before its 120 s timeout', async ({
    skip,
  }) => {
    const { queue, url } = await freshQueue(skip)
    await queue.send({ n: 1 })
    const attempts: number[] = []
    const lambda = createSqsLambdaHandler(
      queue,
      (m, context) => {
        attempts.push(m.attempt)
        if (m.attempt === 1) context.retry({ delaySeconds: 1 })
      },
      opts(),
    )
    const first = await deliverOnce(raw, url, lambda)
    expect(first.response?.batchItemFailures).toHaveLength(1)
    await deliverUntil(url, lambda, () => attempts.length === 2)
    expect(attempts).toEqual([1, 2])
  })

  test("deadLetter: 'redrive-policy' sends nothing and returns the record at once, for SQS to move", async ({
    skip,
  }) => {
    const { queue, url, dlq } = await freshQueue(skip)
    await queue.send({ n: 1 })
    const errors: unknown[] = []
    const lambda = createSqsLambdaHandler(queue, (_m, context) => context.deadLetter('unwanted'), {
      deadLetter: 'redrive-policy',
      onError: (error) => errors.push(error),
    })
    const result = await deliverOnce(raw, url, lambda)
    expect(result.response?.batchItemFailures).toHaveLength(1)
    expect(String(errors[0])).toMatch(/left to the queue's redrive policy: unwanted/)
    const back = await queue.receive({ maxMessages: 1, waitSeconds: 5 })
    expect(back.map((m) => m.attempt)).toEqual([2])
    await queue.ack(back[0]!)
    await expect(dlq().receive({ maxMessages: 1, waitSeconds: 0 })).rejects.toMatchObject({
      code: 'QUEUE_NOT_FOUND',
    })
  })

  test('an event from another queue is refused before any handler runs', async ({ skip }) => {
    const { queue } = await freshQueue(skip)
    const lambda = createSqsLambdaHandler(queue, () => {})
    await expect(
      lambda({
        Records: [
          {
            messageId: 'x',
            receiptHandle: 'y',
            body: '',
            attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0' },
            messageAttributes: {},
            eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:other',
          },
        ],
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'event' })
  })
})
