import { describe, expect, test } from 'vitest'
import { isQueueError, LIMITS, QueueClient, QueueError } from '../src/index.js'
import { denied, FakeDriver, throttled } from './fake-driver.js'

const fast = { retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 2 } }

function setup(options = fast) {
  const driver = new FakeDriver()
  const client = new QueueClient(driver, options)
  return { driver, client, queue: client.queue('jobs') }
}

describe('validation happens before any I/O', () => {
  test.each([
    ['', 'empty'],
    ['x'.repeat(65), '65 characters'],
    ['a b', 'a space'],
    ['a.b', 'a dot'],
  ])('queue name %j (%s) is INVALID_QUEUE_NAME', (name) => {
    const { client, driver } = setup()
    expect(() => client.queue(name)).toThrow(
      expect.objectContaining({ code: 'INVALID_QUEUE_NAME', field: 'name' }),
    )
    expect(driver.calls).toEqual([])
  })

  test('oversize payloads name the field and the limit', async () => {
    const { queue, driver } = setup()
    const error = await queue.send('€'.repeat(21_846)).catch((e: unknown) => e) // 65,538 bytes
    expect(error).toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      field: 'payload',
      limit: LIMITS.maxPayloadBytes,
    })
    expect((error as Error).message).toMatch(/65538 bytes.*65536/)
    expect(driver.calls).toEqual([])
  })

  test('an invalid entry deep in a batch names its path', async () => {
    const { queue, driver } = setup()
    await expect(
      queue.sendBatch([{ payload: 1 }, { payload: { a: [1, { b: Number.NaN }] } }]),
    ).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      field: 'messages[1].payload.a[1].b',
    })
    expect(driver.calls).toEqual([])
  })

  test('receive arguments are checked', async () => {
    const { queue, driver } = setup()
    await expect(queue.receive({ maxMessages: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'maxMessages',
    })
    await expect(queue.receive({ waitSeconds: 20.5 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'waitSeconds',
    })
    expect(driver.calls).toEqual([])
  })

  test('an option that is not one (a typo) is INVALID_ARGUMENT naming it; a message entry may carry more', async () => {
    const { queue, driver, client } = setup()
    const typo = (field: string) => ({ code: 'INVALID_ARGUMENT', field })
    await expect(queue.send('x', { delay: 5 } as never)).rejects.toMatchObject(typo('options.delay'))
    await expect(queue.receive({ maxMesages: 3 } as never)).rejects.toMatchObject(typo('options.maxMesages'))
    expect(() => new QueueClient(driver, { retries: false } as never)).toThrow(
      expect.objectContaining(typo('options.retries')),
    )
    expect(driver.calls).toEqual([])
    // A received message sent on as it is: its other fields are not options, and are left alone.
    await queue.send('forwarded')
    const [m] = await queue.receive()
    await expect(queue.sendBatch([m as never])).resolves.toHaveLength(1)
    await client.close()
  })

  test('errors say what was wrong: the value as given, the limit, the call that was made', async () => {
    const { queue, client } = setup()
    expect(() => new QueueClient(new FakeDriver(), { retry: { maxAttempts: 1.5 } })).toThrow(
      expect.objectContaining({
        field: 'retry.maxAttempts',
        limit: 1_000,
        message: expect.stringMatching(/got 1\.5/),
      }),
    )
    expect(() => new QueueClient(new FakeDriver(), { retry: { maxAttemps: 2 } as never })).toThrow(
      expect.objectContaining({ field: 'retry.maxAttemps' }),
    )
    await expect(queue.send('x', { attributes: { ['a'.repeat(65)]: 'v' } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      limit: 64,
    })
    await client.close()
    await expect(queue.send('x')).rejects.toMatchObject({
      code: 'CLOSED',
      message: expect.stringMatching(/send\(\)/),
    })
  })

  test('handles the driver does not recognise are INVALID_RECEIPT_HANDLE', async () => {
    const { queue, driver } = setup()
    await expect(queue.ack('nope')).rejects.toMatchObject({ code: 'INVALID_RECEIPT_HANDLE' })
    await expect(queue.renewLease({ receiptHandle: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_RECEIPT_HANDLE',
    })
    expect(driver.calls).toEqual([])
  })

  test('features the driver lacks are NOT_SUPPORTED', async () => {
    const { queue, driver } = setup()
    driver.capabilities = { ...driver.capabilities, delay: 0, nackDelay: 0, renewLease: false }
    await expect(queue.send('x', { delaySeconds: 1 })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' })
    await expect(queue.nack('fake:1', { delaySeconds: 1 })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' })
    await expect(queue.renewLease('fake:1')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' })
    await expect(queue.send('x', { delaySeconds: 0 })).resolves.toHaveProperty('id')
    await queue.nack('fake:1')
    expect(driver.calls.map((c) => c.method)).toEqual(['sendBatch', 'nack'])
  })

  test('a delay above the declared maximum is INVALID_ARGUMENT with the limit', async () => {
    const { queue } = setup()
    await expect(queue.send('x', { delaySeconds: 901 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      limit: 900,
    })
  })
})

describe('encoding', () => {
  test('text and JSON are tagged with their content type and decoded back', async () => {
    const { queue, driver } = setup()
    await queue.sendBatch([{ payload: 'text' }, { payload: { json: true } }, { payload: '{"still":"text"}' }])
    expect(driver.stored.map((m) => [m.body, m.contentType])).toEqual([
      ['text', 'text/plain; charset=utf-8'],
      ['{"json":true}', 'application/json'],
      ['{"still":"text"}', 'text/plain; charset=utf-8'],
    ])
    const got = await queue.receive({ maxMessages: 10 })
    expect(got.map((m) => m.payload)).toEqual(['text', { json: true }, '{"still":"text"}'])
  })

  test('a body that claims JSON but does not parse is delivered as undecodable, never as text', async () => {
    const { queue, driver } = setup()
    driver.stored.push({
      body: '{broken',
      contentType: 'application/json',
      bytes: 7,
      delaySeconds: 0,
      attributes: {},
    })
    const [m] = await queue.receive()
    expect(m?.decodeError).toMatchObject({ code: 'INVALID_PAYLOAD', field: 'payload', driver: 'fake' })
    expect(m?.decodeError?.message).toMatch(/content type "application\/json" but is not valid JSON/)
    expect(() => m?.payload).toThrow(m!.decodeError!)
    expect(Buffer.from(m!.rawBody!).toString()).toBe('{broken')
    expect(m?.rawContentType).toBe('application/json')
  })
})

describe('attributes', () => {
  test('are validated before any I/O, naming the attribute and the limit', async () => {
    const { queue, driver } = setup()
    const tooMany = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`a${i}`, 'v']))
    await expect(queue.send('x', { attributes: tooMany })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      limit: 8,
    })
    for (const name of [
      '1st',
      'has space',
      'AWS-thing',
      'googly',
      'content-type',
      'x-opt-lock',
      'a'.repeat(65),
    ]) {
      await expect(queue.send('x', { attributes: { [name]: 'v' } })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      })
    }
    await expect(queue.send('x', { attributes: { big: 'é'.repeat(513) } })).rejects.toMatchObject({
      field: 'attributes.big',
      limit: 1024,
    })
    await expect(queue.send('x', { attributes: { empty: '' } })).rejects.toMatchObject({
      field: 'attributes.empty',
    })
    await expect(queue.send('x', { attributes: { n: 1 as unknown as string } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    expect(driver.calls).toEqual([])
  })

  test('travel to the driver and back', async () => {
    const { queue, driver } = setup()
    await queue.send('x', { attributes: { traceparent: '00-abc-def-01', tenant: 'acme' } })
    expect(driver.stored[0]?.attributes).toEqual({ traceparent: '00-abc-def-01', tenant: 'acme' })
    const [m] = await queue.receive()
    expect(m?.attributes).toEqual({ traceparent: '00-abc-def-01', tenant: 'acme' })
  })
})

describe('errors and retries', () => {
  test('retryable errors are retried with backoff, then succeed', async () => {
    const { queue, driver } = setup()
    driver.failNext('receiveBatch', throttled(), throttled())
    await expect(queue.receive()).resolves.toEqual([])
    expect(driver.calls.filter((c) => c.method === 'receiveBatch')).toHaveLength(3)
  })

  test('retries stop at maxAttempts and surface the classified error with its cause', async () => {
    const { queue, driver } = setup()
    const cause = throttled()
    driver.failNext('ackBatch', cause, throttled(), throttled(), throttled())
    const error = await queue.ack('fake:1').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true })
    expect((error as Error).cause).toBeDefined()
    expect(driver.calls.filter((c) => c.method === 'ackBatch')).toHaveLength(3)
  })

  test('non-retryable errors fail at once', async () => {
    const { queue, driver } = setup()
    driver.failNext('renewLease', denied())
    await expect(queue.renewLease('fake:1')).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      retryable: false,
    })
    expect(driver.calls).toHaveLength(1)
  })

  test('errors the driver cannot classify are bugs, rethrown unchanged', async () => {
    const { queue, driver } = setup()
    const bug = new TypeError('undefined is not a function')
    driver.failNext('nack', bug)
    await expect(queue.nack('fake:1')).rejects.toBe(bug)
  })

  test('sendBatch retries only the entries that failed retryably and reports each result', async () => {
    const { queue, driver } = setup()
    driver.sendErrors = [undefined, throttled(), denied(), undefined]
    const results = await queue.sendBatch([{ payload: 0 }, { payload: 1 }, { payload: 2 }, { payload: 3 }])
    expect(results.map((r) => r.ok)).toEqual([true, true, false, true])
    expect(results[2]).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } })
    const sends = driver.calls.filter((c) => c.method === 'sendBatch')
    expect(sends.map((c) => (c.args[1] as unknown[]).length)).toEqual([4, 1])
  })

  describe('one retry budget: a send that keeps failing makes exactly maxAttempts driver calls', () => {
    const always = (n: number) => Array.from({ length: n }, () => throttled())
    // 4 at the defaults (the default backoff, at most 100 + 200 + 400 ms, is real time here);
    // retries nested inside each other made it 16 for a whole-batch failure.
    const cases = [
      { retry: undefined, calls: 4 },
      { retry: { maxAttempts: 2, initialDelayMs: 1 }, calls: 2 },
      { retry: false as const, calls: 1 },
    ]
    for (const { retry, calls } of cases) {
      const label = retry === undefined ? 'defaults' : JSON.stringify(retry)
      test(`${label}: send and sendBatch failing as a whole → ${calls} calls`, async () => {
        const driver = new FakeDriver()
        const queue = new QueueClient(driver, retry === undefined ? {} : { retry }).queue('jobs')
        driver.failNext('sendBatch', ...always(100))
        await expect(queue.send('x')).rejects.toMatchObject({ code: 'UNAVAILABLE' })
        expect(driver.calls.filter((c) => c.method === 'sendBatch')).toHaveLength(calls)
        driver.calls.length = 0
        const results = await queue.sendBatch([{ payload: 1 }, { payload: 2 }, { payload: 3 }])
        expect(results.map((r) => !r.ok && r.error.code)).toEqual([
          'UNAVAILABLE',
          'UNAVAILABLE',
          'UNAVAILABLE',
        ])
        expect(driver.calls.filter((c) => c.method === 'sendBatch')).toHaveLength(calls)
      })

      test(`${label}: sendBatch whose entries fail one by one → ${calls} calls`, async () => {
        const driver = new FakeDriver()
        const queue = new QueueClient(driver, retry === undefined ? {} : { retry }).queue('jobs')
        driver.sendErrors = always(100)
        const results = await queue.sendBatch([{ payload: 1 }, { payload: 2 }])
        expect(results.map((r) => !r.ok && r.error.code)).toEqual(['UNAVAILABLE', 'UNAVAILABLE'])
        expect(driver.calls.filter((c) => c.method === 'sendBatch')).toHaveLength(calls)
      })
    }

    test('a whole-batch failure and per-entry failures share the budget', async () => {
      const { queue, driver } = setup() // maxAttempts 3
      driver.failNext('sendBatch', throttled())
      driver.sendErrors = [throttled(), undefined] // second call: the first entry fails again
      const results = await queue.sendBatch([{ payload: 1 }, { payload: 2 }])
      expect(results.map((r) => r.ok)).toEqual([true, true])
      const sends = driver.calls.filter((c) => c.method === 'sendBatch')
      expect(sends.map((c) => (c.args[1] as unknown[]).length)).toEqual([2, 2, 1])
    })
  })

  test('retry: false turns retries off', async () => {
    const { queue, driver } = setup({ retry: false } as never)
    driver.failNext('receiveBatch', throttled())
    await expect(queue.receive()).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    expect(driver.calls).toHaveLength(1)
  })

  test('isQueueError recognises errors from another copy of the package by brand', () => {
    const foreign = Object.assign(new Error('x'), {
      code: 'CLOSED',
      [Symbol.for('@anyqueue/queue-core/QueueError')]: true,
    })
    expect(isQueueError(foreign)).toBe(true)
    expect(isQueueError(foreign, 'CLOSED')).toBe(true)
    expect(isQueueError(foreign, 'UNAVAILABLE')).toBe(false)
    expect(isQueueError(new Error('plain'))).toBe(false)
    expect(QueueError.isInstance(new QueueError('CLOSED', 'closed'))).toBe(true)
  })

  test('messages say where they come from', () => {
    expect(new QueueError('UNAVAILABLE', 'down', { driver: 'sqs' }).message).toBe('[anyqueue] [sqs] down')
  })
})

describe('lifecycle', () => {
  test('close waits for in-flight calls, then refuses new ones; the driver closes once', async () => {
    const { client, queue, driver } = setup()
    const sending = queue.send('in flight')
    const closing = client.close()
    await expect(sending).resolves.toHaveProperty('id')
    await closing
    await client.close()
    expect(driver.calls.filter((c) => c.method === 'close')).toHaveLength(1)
    await expect(queue.send('late')).rejects.toMatchObject({ code: 'CLOSED' })
    expect(() => client.queue('other')).toThrow(expect.objectContaining({ code: 'CLOSED' }))
  })

  test('closing a queue leaves the client and other queues open', async () => {
    const { client, queue } = setup()
    await queue.close()
    await expect(queue.receive()).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(client.queue('other').send('still works')).resolves.toHaveProperty('id')
  })

  test('sendBatch splits by the driver batch size', async () => {
    const { queue, driver } = setup()
    driver.capabilities = { ...driver.capabilities, maxBatch: 3 }
    await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: i })))
    expect(driver.calls.map((c) => (c.args[1] as unknown[]).length)).toEqual([3, 3, 3, 1])
  })

  test('ackBatch: one driver call per driver batch, duplicates once, none for an empty list', async () => {
    const { queue, driver } = setup()
    await queue.ackBatch([])
    expect(driver.calls).toEqual([])
    const handles = Array.from({ length: 18 }, (_, i) => `fake:h${i}`)
    await queue.ackBatch([...handles.slice(0, 3), { receiptHandle: 'fake:h1' }, 'fake:h0'])
    await queue.ackBatch([...handles, 'fake:h17'])
    const wrong = await queue.ackBatch(['fake:h1', 'fake:h2', 'nope']).catch((e: unknown) => e)
    expect(wrong).toMatchObject({ code: 'INVALID_RECEIPT_HANDLE', field: 'receiptHandles[2]' })
    expect(driver.calls.map((c) => c.args[1])).toEqual([
      handles.slice(0, 3),
      handles.slice(0, 10),
      handles.slice(10),
    ])
  })
})
