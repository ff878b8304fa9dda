import { describe, expect, test } from 'vitest'
import { countMessages, encodePayload, LIMITS, QueueClient, redrive } from '../src/index.js'
import { FakeDriver } from './fake-driver.js'

function setup() {
  const driver = new FakeDriver()
  return { driver, queue: new QueueClient(driver).queue('q') }
}

const nested = (depth: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

/** An object whose `a` reads `first`, then `second` on every later read. */
const twoFaced = (first: unknown, second: unknown) => {
  let reads = 0
  return {
    get a() {
      return reads++ === 0 ? first : second
    },
    get reads() {
      return reads
    },
  }
}

describe('snapshot, then validate: what is checked is what is sent', () => {
  test('JSON nested 5,000 deep is INVALID_PAYLOAD naming the depth limit, not a RangeError', async () => {
    const { queue, driver } = setup()
    const error = await queue.send(nested(5_000) as never).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD', limit: LIMITS.maxPayloadDepth })
    expect((error as Error).message).toMatch(/deeper than 64 levels/)
    expect(driver.calls).toEqual([])
  })

  test('the depth limit is exact: 64 levels pass, 65 do not', async () => {
    const { queue } = setup()
    await expect(queue.send(nested(64) as never)).resolves.toHaveProperty('id')
    await expect(queue.send(nested(65) as never)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' })
    await expect(queue.send({ a: nested(63) } as never)).resolves.toHaveProperty('id')
    await expect(queue.send({ a: nested(64) } as never)).rejects.toMatchObject({
      field: `payload.a${'[0]'.repeat(63)}`,
    })
  })

  test('a getter that returns "ok" then undefined is read once: the key does not vanish', async () => {
    const { queue, driver } = setup()
    const payload = twoFaced('ok', undefined)
    await queue.send({ x: payload } as never)
    expect(driver.stored[0]!.body).toBe('{"x":{"a":"ok","reads":1}}')
  })

  test('a getter that returns "ok" then a BigInt sends "ok", never a TypeError', async () => {
    const { queue, driver } = setup()
    await queue.send(twoFaced('ok', 10n) as never)
    expect(driver.stored[0]!.body).toBe('{"a":"ok","reads":1}')
  })

  test('a Proxy is read once per key: the checked value is the sent one', async () => {
    const { queue, driver } = setup()
    let gets = 0
    const proxy = new Proxy({ a: 1 }, { get: () => (gets++ === 0 ? 'first' : Number.NaN) })
    await queue.send(proxy as never)
    expect(driver.stored[0]!.body).toBe('{"a":"first"}')
    expect(gets).toBe(1)
  })

  test('toJSON is never called: an array carrying one is INVALID_PAYLOAD', async () => {
    const { queue, driver } = setup()
    const a: unknown[] & { toJSON?: () => string } = [1, 2]
    a.toJSON = () => 'changed'
    await expect(queue.send(a as never)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD', field: 'payload' })
    await expect(queue.send({ toJSON: () => 'changed' } as never)).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      field: 'payload.toJSON',
    })
    expect(driver.calls).toEqual([])
  })

  test('named properties on an array are INVALID_PAYLOAD, not dropped', async () => {
    const { queue } = setup()
    const a = Object.assign([1, 2], { extra: 'lost' })
    await expect(queue.send({ list: a } as never)).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      field: 'payload.list',
      message: expect.stringMatching(/named property "extra"/),
    })
  })

  test('a getter that throws is INVALID_PAYLOAD naming the key, with the error as cause', async () => {
    const { queue } = setup()
    const own = new Error('mine')
    const error = await queue
      .send({
        deep: {
          get bad() {
            throw own
          },
        },
      } as never)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD', field: 'payload.deep.bad' })
    expect((error as Error).cause).toBe(own)
  })

  test('a revoked Proxy is INVALID_PAYLOAD, not a TypeError', async () => {
    const { queue } = setup()
    const { proxy, revoke } = Proxy.revocable({}, {})
    revoke()
    await expect(queue.send({ p: proxy } as never)).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      field: 'payload.p',
    })
  })

  test('-0 arrives as 0, as JSON writes it', async () => {
    const { queue } = setup()
    await queue.send({ n: -0 } as never)
    const [m] = await queue.receive()
    expect(Object.is((m!.payload as { n: number }).n, 0)).toBe(true)
  })

  test('symbol keys and non-enumerable properties are not payload, as in JSON', () => {
    const value = Object.defineProperty({ a: 1, [Symbol('s')]: 2 }, 'hidden', { value: 3, enumerable: false })
    expect(encodePayload(value).body).toBe('{"a":1}')
  })

  test('the encoding is exactly JSON.stringify wherever that is faithful', () => {
    const value = {
      s: 'é "q" \n \u2028 😀',
      n: [0, 1.5, -2e-7, 1e21, 123456789012345680000],
      b: [true, false, null],
      o: {},
    }
    expect(encodePayload(value).body).toBe(JSON.stringify(value))
  })

  test('a huge payload stops being written once past the limit', () => {
    let reads = 0
    const wide = new Proxy(
      {},
      {
        ownKeys: () => Array.from({ length: 100_000 }, (_, i) => `k${i}`),
        getOwnPropertyDescriptor: () => ({ value: 'x', enumerable: true, configurable: true }),
        get: () => {
          reads++
          return 'x'.repeat(100)
        },
      },
    )
    expect(() => encodePayload(wide)).toThrow(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }))
    expect(reads).toBeLessThan(1_000)
  })
})

describe('every argument of the wrong type is INVALID_ARGUMENT naming the field', () => {
  const cases: Array<[string, (q: ReturnType<typeof setup>['queue']) => Promise<unknown>, string]> = [
    ['receive(null)', (q) => q.receive(null as never), 'options'],
    ['receive("x")', (q) => q.receive('x' as never), 'options'],
    ['receive({ signal: {} })', (q) => q.receive({ signal: {} as never }), 'signal'],
    ['receive({ maxMessages: "2" })', (q) => q.receive({ maxMessages: '2' as never }), 'maxMessages'],
    [
      'receive({ waitSeconds: Object.create(null) })',
      (q) => q.receive({ waitSeconds: Object.create(null) }),
      'waitSeconds',
    ],
    ['nack(handle, null)', (q) => q.nack('fake:1', null as never), 'options'],
    [
      'nack(handle, { delaySeconds: "1" })',
      (q) => q.nack('fake:1', { delaySeconds: '1' as never }),
      'delaySeconds',
    ],
    ['ackBatch("fake:1")', (q) => q.ackBatch('fake:1' as never), 'receiptHandles'],
    ['ackBatch(null)', (q) => q.ackBatch(null as never), 'receiptHandles'],
    ['send(x, null)', (q) => q.send('x', null as never), 'options'],
    ['send(x, "fast")', (q) => q.send('x', 'fast' as never), 'options'],
    [
      'send(x, { attributes: new Map() })',
      (q) => q.send('x', { attributes: new Map() as never }),
      'attributes',
    ],
    ['sendBatch([null])', (q) => q.sendBatch([null as never]), 'message'],
    ['sendBatch([{ payload: 1 }, 7])', (q) => q.sendBatch([{ payload: 1 }, 7 as never]), 'messages[1]'],
    ['sendBatch("x")', (q) => q.sendBatch('x' as never), 'messages'],
  ]
  test.each(cases)('%s', async (_, call, field) => {
    const { queue, driver } = setup()
    let outcome: unknown
    try {
      await call(queue)
    } catch (error) {
      outcome = error
    }
    expect(outcome).toMatchObject({ name: 'QueueError', code: 'INVALID_ARGUMENT', field })
    expect(driver.calls).toEqual([])
  })

  test('options, attributes and handles whose getters throw are typed errors with the cause', async () => {
    const { queue, driver } = setup()
    const own = new Error('mine')
    const hostile = new Proxy(
      {},
      {
        get() {
          throw own
        },
        getPrototypeOf() {
          throw own
        },
        ownKeys() {
          throw own
        },
      },
    )
    const outcomes = await Promise.all(
      [
        () => queue.receive(hostile as never),
        () => queue.nack('fake:1', hostile as never),
        () => queue.send('x', hostile as never),
        () => queue.send('x', { attributes: hostile as never }),
        () => queue.sendBatch([hostile as never]),
        () => queue.ack(hostile as never),
        () =>
          queue.ackBatch(
            new Proxy(['fake:1'], {
              get(target, key) {
                if (key === '0') throw own
                return Reflect.get(target, key)
              },
            }),
          ),
      ].map((call) =>
        call().then(
          () => undefined,
          (error: unknown) => error,
        ),
      ),
    )
    for (const error of outcomes) {
      expect(error).toMatchObject({
        name: 'QueueError',
        code: expect.stringMatching(/^INVALID_(ARGUMENT|RECEIPT_HANDLE)$/),
      })
      expect((error as Error).cause).toBe(own)
    }
    expect(driver.calls).toEqual([])
  })

  test('countMessages and redrive check their arguments', async () => {
    const { queue } = setup()
    await expect(countMessages(null as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'queue',
    })
    await expect(redrive(queue, 'q' as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'target',
    })
    await expect(redrive(queue, queue, { limit: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'limit',
    })
    await expect(redrive(queue, queue, null as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options',
    })
  })

  test('a handle of the wrong type is INVALID_RECEIPT_HANDLE, as a garbage string is', async () => {
    const { queue } = setup()
    for (const handle of [null, undefined, 42, {}, { receiptHandle: 42 }, Object.create(null)]) {
      await expect(queue.ack(handle as never)).rejects.toMatchObject({ code: 'INVALID_RECEIPT_HANDLE' })
      await expect(queue.renewLease(handle as never)).rejects.toMatchObject({
        code: 'INVALID_RECEIPT_HANDLE',
      })
    }
  })

  test('createQueue and deleteQueue reject instead of throwing synchronously', async () => {
    const client = new QueueClient(new FakeDriver())
    let promise: Promise<void> | undefined
    expect(() => {
      promise = client.createQueue('a b')
    }).not.toThrow()
    await expect(promise).rejects.toMatchObject({ code: 'INVALID_QUEUE_NAME' })
    await expect(client.deleteQueue(null as never)).rejects.toMatchObject({ code: 'INVALID_QUEUE_NAME' })
  })

  test('client options are checked', () => {
    for (const [options, field] of [
      [null, 'options'],
      [{ retry: { maxAttempts: Number.NaN } }, 'retry.maxAttempts'],
      [{ retry: { initialDelayMs: -1 } }, 'retry.initialDelayMs'],
      [{ retry: 'no' }, 'retry'],
    ] as const) {
      expect(() => new QueueClient(new FakeDriver(), options as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      )
    }
    expect(() => new QueueClient(null as never)).toThrow(expect.objectContaining({ field: 'driver' }))
  })
})
