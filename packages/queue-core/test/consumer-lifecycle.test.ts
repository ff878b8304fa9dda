import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { type ConsumerEvent, consume, DEAD_LETTER_ATTRIBUTES, QueueClient } from '../src/index.js'
import { FakeDriver } from './fake-driver.js'

/** Waits for `check`; the deadline is generous because it only ends a test that fails anyway. */
const until = async (check: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Runs the consumer child with `scenario` (it imports the built package); resolves its lines and exit. */
function runChild(scenario: string, killAfterMs: number) {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./fixtures/consumer-child.mjs', import.meta.url)), scenario],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const lines: Array<{ step: string; at: number; [key: string]: unknown }> = []
  let buffered = ''
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const parts = buffered.split('\n')
    buffered = parts.pop()!
    for (const part of parts) lines.push({ ...JSON.parse(part), at: Date.now() })
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
  return new Promise<{
    code: number | null
    signal: string | null
    exitedAt: number
    lines: typeof lines
    stderr: string
  }>((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(killer)
      resolve({ code, signal, exitedAt: Date.now(), lines, stderr })
    })
  })
}

// The children are killed only when something keeps them alive: the limits leave a slow machine
// ample time to start node and run the scenario.
test('a handler that never settles: stop() releases its message, renewals end, and the process exits after stop + close', {
  timeout: 90_000,
}, async () => {
  const { code, signal, exitedAt, lines } = await runChild('hung-handler', 60_000)
  expect(signal, 'the child had to be killed: something kept its event loop alive').toBeNull()
  expect(code).toBe(0)
  const stopping = lines.find((l) => l.step === 'stopping')!
  // stop() gives up on the hung handler after its 500 ms shutdown timeout (a stop that waited for it
  // would never end); 10 s of slack for a loaded machine to close and exit.
  expect(exitedAt - stopping.at).toBeLessThan(500 + 10_000)
  const closed = lines.find((l) => l.step === 'closed')!
  expect(closed.calls).toContain('renewLease') // the lease was renewed while the handler ran…
  expect((closed.calls as string[]).at(-1)).toBe('nack') // …and released once it outlived the timeout
  expect(lines.find((l) => l.step === 'exit')?.errors).toEqual([]) // no CLOSED from a renewal after close
})

test('onError and onEvent that throw neither crash the process nor stop handlers running', {
  timeout: 90_000,
}, async () => {
  const { code, lines, stderr } = await runChild('throwing-callbacks', 60_000)
  expect(lines.map((l) => l.step)).toEqual(['done'])
  expect(code, stderr).toBe(0)
  expect([...(lines[0]!.handled as number[])].sort()).toEqual([1, 2, 3])
  expect(lines[0]!.acks).toBeGreaterThan(0)
})

test.each([
  ['null', null, /last: null$/],
  ['undefined', undefined, /last: undefined$/],
  ['a string', 'plain text', /last: plain text$/],
  ['a Symbol', Symbol('odd'), /last: Symbol\(odd\)$/],
  ['a null-prototype object', Object.create(null), /last: \[object Object\]$/],
  [
    'a null-prototype object with a message',
    Object.assign(Object.create(null), { message: 'why' }),
    /last: why$/,
  ],
  [
    'a Proxy whose every trap throws',
    new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
        getPrototypeOf() {
          throw new Error('trap')
        },
        ownKeys() {
          throw new Error('trap')
        },
      },
    ),
    /last: .+/,
  ],
  [
    'an Error whose message getter throws',
    Object.defineProperty(new Error(), 'message', {
      get() {
        throw new Error('no message')
      },
    }),
    /last: Error$/,
  ],
  ['a string with a lone surrogate', 'half \uD800 a pair', /last: half \uFFFD a pair$/],
])(
  'a handler that throws %s on its last attempt is dead-lettered with a readable reason',
  async (_, thrown, reason) => {
    const driver = new FakeDriver()
    const queue = new QueueClient(driver).queue('q')
    const dlqDriver = new FakeDriver()
    const deadLetterQueue = new QueueClient(dlqDriver).queue('q-dlq')
    await queue.send('poison')
    const errors: unknown[] = []
    const consumer = consume(
      queue,
      () => {
        throw thrown
      },
      { maxAttempts: 1, waitSeconds: 0, deadLetterQueue, onError: (e) => errors.push(e) },
    )
    await until(() => dlqDriver.stored.length > 0 || errors.length > 0)
    await consumer.stop()
    expect(errors).toEqual([])
    expect(dlqDriver.stored).toHaveLength(1)
    expect(dlqDriver.stored[0]!.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toMatch(/^failed 1 time, last: /)
    expect(dlqDriver.stored[0]!.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toMatch(reason)
    expect(driver.calls.filter((c) => c.method === 'ackBatch')).toHaveLength(1)
  },
)

test('a handler past handlerTimeoutSeconds is aborted with a TimeoutError, and the attempt counts as failed', async () => {
  const driver = new FakeDriver()
  const queue = new QueueClient(driver).queue('q')
  await queue.send('slow')
  let reason: unknown
  const events: ConsumerEvent[] = []
  const consumer = consume(
    queue,
    (_, { signal }) =>
      new Promise(() => {
        signal.addEventListener('abort', () => {
          reason = signal.reason
        })
      }),
    {
      handlerTimeoutSeconds: 0.2,
      backoff: () => 7,
      waitSeconds: 0,
      onError: () => {},
      onEvent: (e) => events.push(e),
    },
  )
  await until(() => events.some((e) => e.type === 'retried'))
  await consumer.stop()
  expect(reason).toMatchObject({ name: 'TimeoutError' })
  expect(events.map((e) => e.type)).toEqual(['received', 'failed', 'retried'])
  const failed = events[1] as Extract<ConsumerEvent, { type: 'failed' }>
  expect(failed.durationMs).toBeGreaterThanOrEqual(150)
  expect(driver.calls.filter((c) => c.method === 'nack').map((c) => c.args[2])).toEqual([7])
})

test('a handler past its time limit on its last attempt is dead-lettered, naming the limit', async () => {
  const driver = new FakeDriver()
  const queue = new QueueClient(driver).queue('q')
  const dlq = new FakeDriver()
  await queue.send('slow')
  const consumer = consume(queue, () => new Promise(() => {}), {
    handlerTimeoutSeconds: 0.1,
    maxAttempts: 1,
    waitSeconds: 0,
    deadLetterQueue: new QueueClient(dlq).queue('dlq'),
  })
  await until(() => dlq.stored.length > 0)
  await consumer.stop()
  expect(dlq.stored[0]!.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toMatch(
    /TimeoutError: .*handlerTimeoutSeconds: 0.1/,
  )
})

test('after stop() no lease is renewed any more, and a handler that outlived the shutdown timeout is released', async () => {
  const driver = new FakeDriver()
  driver.leaseSeconds = 0.2 // renewals every 100 ms
  const queue = new QueueClient(driver).queue('q')
  await queue.send('hung')
  let started = false
  const consumer = consume(
    queue,
    () => {
      started = true
      return new Promise(() => {})
    },
    { waitSeconds: 0, shutdownTimeoutMs: 250, onError: () => {} },
  )
  await until(() => started)
  await new Promise((r) => setTimeout(r, 250))
  const stoppedAt = Date.now()
  await consumer.stop()
  expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(240)
  const renewals = () => driver.calls.filter((c) => c.method === 'renewLease').length
  const atStop = renewals()
  expect(atStop).toBeGreaterThan(0)
  await new Promise((r) => setTimeout(r, 400))
  expect(renewals()).toBe(atStop)
  expect(driver.calls.filter((c) => c.method === 'nack').map((c) => c.args[2])).toEqual([0])
})

test('a schema that throws fails the attempt like a handler would, instead of stalling the message', async () => {
  const driver = new FakeDriver()
  const queue = new QueueClient(driver).queue('q')
  const dlq = new FakeDriver()
  await queue.send({ id: 1 })
  const schema = {
    '~standard': {
      version: 1 as const,
      vendor: 'test',
      validate: () => {
        throw new Error('validator crashed')
      },
    },
  }
  const errors: unknown[] = []
  const consumer = consume(queue, () => {}, {
    schema,
    maxAttempts: 1,
    waitSeconds: 0,
    deadLetterQueue: new QueueClient(dlq).queue('dlq'),
    onError: (e) => errors.push(e),
  })
  await until(() => dlq.stored.length > 0 || errors.length > 0)
  await consumer.stop()
  expect(errors).toEqual([])
  expect(dlq.stored[0]!.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toMatch(/validator crashed/)
})

test('every consume option is checked at the call, naming the field', () => {
  const queue = new QueueClient(new FakeDriver()).queue('q')
  const cases: Array<[string, unknown]> = [
    ['waitSeconds', { waitSeconds: 30 }],
    ['waitSeconds', { waitSeconds: '1' }],
    ['shutdownTimeoutMs', { shutdownTimeoutMs: -1 }],
    ['handlerTimeoutSeconds', { handlerTimeoutSeconds: 0 }],
    ['handlerTimeoutSeconds', { handlerTimeoutSeconds: Number.NaN }],
    ['concurrency', { concurrency: 2.5 }],
    ['signal', { signal: {} }],
    ['onError', { onError: 'log' }],
    ['onEvent', { onEvent: 1 }],
    ['schema', { schema: {} }],
    ['deadLetterQueue', { deadLetterQueue: 'q-dlq' }],
    ['backoff', { backoff: 5 }],
    ['backoff.multiplier', { backoff: { multiplier: -1 } }],
    ['backoff.jitter', { backoff: { jitter: 'yes' } }],
    ['options', null],
    ['options', 'fast'],
  ]
  for (const [field, options] of cases) {
    expect(() => consume(queue, () => {}, options as never), JSON.stringify(options)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
    )
  }
  expect(() => consume(queue, 'handler' as never)).toThrow(expect.objectContaining({ field: 'handler' }))
  expect(() => consume(null as never, () => {})).toThrow(expect.objectContaining({ field: 'queue' }))
})

test('a consumer whose signal is already aborted stops at once', async () => {
  const driver = new FakeDriver()
  const queue = new QueueClient(driver).queue('q')
  const consumer = consume(queue, () => {}, { signal: AbortSignal.abort(), waitSeconds: 0 })
  await consumer.done
  expect(driver.calls.filter((c) => c.method === 'receiveBatch')).toEqual([])
})

test('a client closed under a running consumer stops it, instead of retrying receives forever', async () => {
  const driver = new FakeDriver()
  const client = new QueueClient(driver)
  const queue = client.queue('q')
  const errors: unknown[] = []
  const consumer = consume(queue, () => {}, { waitSeconds: 0, onError: (e) => errors.push(e) })
  await new Promise((r) => setTimeout(r, 50))
  await client.close()
  await consumer.done
  expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['CLOSED'])
})
