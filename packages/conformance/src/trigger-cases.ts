import { DEAD_LETTER_ATTRIBUTES, type Message, type Queue, type StandardSchemaV1 } from '@anyqueue/queue-core'
import type { TriggerCase, TriggerCaseOptions, TriggerQueue } from './trigger-target.js'

interface Job {
  n: number
}

/** Waits until `check` holds, polling; past the deadline it fails with `what`. Never a speed assertion. */
async function until(check: () => boolean | Promise<boolean>, what: string, options: TriggerCaseOptions) {
  const deadline = Date.now() + (options.deadlineMs ?? 60_000)
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`expected ${what}, but it did not happen within ${options.deadlineMs ?? 60_000} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Takes what arrived in the dead-letter queue into `into` (a queue nobody else reads). */
async function collect(queue: Queue<any>, into: Message<any>[]): Promise<void> {
  try {
    for (const m of await queue.receive({ maxMessages: 10, waitSeconds: 0 })) {
      into.push(m)
      await queue.ack(m)
    }
  } catch (error) {
    // The runner creates its dead-letter queue on first use: missing until then.
    if ((error as { code?: string }).code !== 'QUEUE_NOT_FOUND') throw error
  }
}

function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message())
}

const json = (value: unknown) => JSON.stringify(value)

async function running<R>(
  target: TriggerQueue,
  start: Parameters<TriggerQueue['start']>,
  body: () => Promise<R>,
): Promise<R> {
  const runner = await target.start(...start)
  try {
    return await body()
  } finally {
    await runner.stop()
  }
}

const hasN: StandardSchemaV1<unknown, Job> = {
  '~standard': {
    version: 1,
    vendor: 'anyqueue-conformance',
    validate: (value) =>
      typeof (value as Job)?.n === 'number'
        ? { value: value as Job }
        : { issues: [{ message: 'n is required' }] },
  },
}

/** The trigger section: what any runner of a `consume()` handler must keep (see the README). */
export const triggerCases: TriggerCase[] = [
  {
    id: 'trigger.failure-comes-back-alone',
    name: 'a failing message comes back alone; the others are handled once',
    async run(target, options) {
      for (const n of [1, 2, 3]) await target.queue.send({ n })
      const seen: Array<[number, number]> = []
      await running(
        target,
        [
          (m: Message<Job>) => {
            seen.push([m.payload.n, m.attempt])
            if (m.payload.n === 2 && m.attempt === 1) throw new Error('not yet')
          },
          { backoff: () => 0 },
        ],
        () =>
          until(() => seen.some(([n, a]) => n === 2 && a === 2), 'message 2 back with attempt 2', options),
      )
      const others = seen.filter(([n]) => n !== 2).sort()
      check(
        json(others) ===
          json([
            [1, 1],
            [3, 1],
          ]),
        () => `messages 1 and 3 were handled ${json(others)}, not once each at attempt 1`,
      )
    },
  },
  {
    id: 'trigger.poison-dead-lettered',
    name: 'a poison message reaches the dead-letter queue after maxAttempts, with its reason',
    async run(target, options) {
      await target.queue.send({ n: 1 })
      const attempts: number[] = []
      const dead: Message<any>[] = []
      await running(
        target,
        [
          (m: Message<Job>) => {
            attempts.push(m.attempt)
            throw new Error('poison')
          },
          { maxAttempts: 3, backoff: () => 0 },
        ],
        () =>
          until(
            async () => {
              await collect(target.deadLetterQueue, dead)
              return dead.length > 0
            },
            'the poison message in the dead-letter queue',
            options,
          ),
      )
      const attributes = dead[0]!.attributes
      check(
        json(dead[0]!.payload) === json({ n: 1 }),
        () => `the dead letter holds ${json(dead[0]!.payload)}`,
      )
      check(
        attributes[DEAD_LETTER_ATTRIBUTES.reason] === 'failed 3 times, last: Error: poison' &&
          attributes[DEAD_LETTER_ATTRIBUTES.attempts] === '3',
        () => `the dead letter's reason and attempts are ${json(attributes)}`,
      )
      check(
        json(attempts) === json([1, 2, 3]),
        () => `the handler ran at attempts ${json(attempts)}, not 1, 2, 3`,
      )
    },
  },
  {
    id: 'trigger.invalid-dead-lettered-at-once',
    name: 'an undecodable or schema-invalid message is dead-lettered at once, unseen by the handler',
    async run(target, options) {
      await target.queue.send({ wrong: true })
      const expected = ['invalid payload: n is required']
      if (target.sendUndecodable) {
        await target.sendUndecodable()
        expected.push('INVALID_PAYLOAD')
      }
      const seen: unknown[] = []
      const dead: Message<any>[] = []
      await running(
        target,
        [(m: Message<Job>) => void seen.push(m.payload), { schema: hasN, maxAttempts: 3 }],
        () =>
          until(
            async () => {
              await collect(target.deadLetterQueue, dead)
              return dead.length >= expected.length
            },
            `${expected.length} dead letters`,
            options,
          ),
      )
      const reasons = dead.map((m) => String(m.attributes[DEAD_LETTER_ATTRIBUTES.reason]))
      for (const start of expected) {
        check(
          reasons.some((r) => r.startsWith(start)),
          () => `no dead letter's reason starts with "${start}": ${json(reasons)}`,
        )
      }
      const attempts = dead.map((m) => m.attributes[DEAD_LETTER_ATTRIBUTES.attempts])
      check(
        attempts.every((a) => a === '1'),
        () => `dead-lettered at attempts ${json(attempts)}, not at once (1)`,
      )
      check(seen.length === 0, () => `the handler saw ${json(seen)}`)
    },
  },
  {
    id: 'trigger.slow-aborted-and-retried',
    name: 'a handler past its deadline has its signal aborted, and the message is retried',
    async run(target, options) {
      await target.queue.send({ n: 1 })
      const reasons: unknown[] = []
      const done: number[] = []
      await running(
        target,
        [
          (m: Message<Job>, { signal }) =>
            m.attempt > 1
              ? void done.push(m.attempt)
              : new Promise<void>((resolve, reject) => {
                  // Never left hanging: a runner that ignores the deadline ends here, and fails below.
                  const give = setTimeout(resolve, (options.deadlineMs ?? 60_000) + 5_000)
                  signal.addEventListener('abort', () => {
                    clearTimeout(give)
                    reasons.push(signal.reason)
                    reject(signal.reason)
                  })
                }),
          { handlerTimeoutSeconds: 1, backoff: () => 0 },
        ],
        () => until(() => done.length > 0, 'the message retried after its deadline', options),
      )
      check(
        (reasons[0] as { name?: string } | undefined)?.name === 'TimeoutError',
        () =>
          `the first attempt's signal was ${reasons.length ? `aborted with ${String(reasons[0])}` : 'never aborted'}`,
      )
      check(json(done) === json([2]), () => `the retry ran at attempts ${json(done)}`)
    },
  },
]
