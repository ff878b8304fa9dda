import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { type OutgoingMessage, resolveUntypedBody } from '../src/driver.js'
import {
  CONTENT_TYPE_JSON,
  consume,
  DEAD_LETTER_ATTRIBUTES,
  DEAD_LETTER_BODY_ATTRIBUTES,
  type Message,
  QueueClient,
} from '../src/index.js'
import { FakeDriver } from './fake-driver.js'

/** A message as another producer put it on the queue: any body the driver may hand up. */
function foreign(
  body: string | Uint8Array,
  contentType?: string,
  extra: { undecodable?: string; attributes?: Record<string, string> } = {},
): OutgoingMessage {
  return {
    body,
    contentType,
    bytes: 0,
    delaySeconds: 0,
    attributes: extra.attributes ?? {},
    ...(extra.undecodable !== undefined && { undecodable: extra.undecodable }),
  } as unknown as OutgoingMessage
}

function setup() {
  const driver = new FakeDriver()
  const client = new QueueClient(driver, { retry: false })
  return { driver, client, queue: client.queue('jobs') }
}

const isUtf8 = (bytes: Uint8Array) => Buffer.from(Buffer.from(bytes).toString('utf8'), 'utf8').equals(bytes)

describe('receive: what another producer sent arrives faithfully or as a typed failure', () => {
  test('property: any bytes arrive as exactly their text, or undecodable with those bytes — never altered', async () => {
    const { queue, driver } = setup()
    let undecodable = 0
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.string({ unit: 'binary' }).map((s) => new TextEncoder().encode(s)),
        ),
        async (bytes) => {
          driver.stored.push(foreign(bytes))
          const [m] = await queue.receive({ waitSeconds: 0 })
          if (isUtf8(bytes)) {
            expect(m!.decodeError).toBeUndefined()
            expect(m!.payload).toBe(Buffer.from(bytes).toString('utf8'))
            expect(new TextEncoder().encode(m!.payload as string)).toEqual(bytes)
          } else {
            undecodable++
            expect(m!.decodeError).toMatchObject({ code: 'INVALID_PAYLOAD', field: 'payload' })
            expect(m!.decodeError!.message).toMatch(/is not valid UTF-8/)
            expect(() => m!.payload).toThrow(m!.decodeError!)
            expect(m!.rawBody).toEqual(bytes)
          }
        },
      ),
      { seed: 20261123, numRuns: 400 },
    )
    expect(undecodable).toBeGreaterThan(50) // the property did exercise both branches
  })

  test('a byte-order mark is kept, not eaten', async () => {
    const { queue, driver } = setup()
    driver.stored.push(foreign(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])))
    const [m] = await queue.receive()
    expect(m!.payload).toBe('\uFEFFa')
  })

  test('JSON bytes under a JSON content type decode to the value; without one they are the text', async () => {
    const { queue, driver } = setup()
    const json = new TextEncoder().encode('{"a":[1,"é"]}')
    driver.stored.push(foreign(json, 'application/json; charset=utf-8'), foreign(json))
    const got = await queue.receive({ maxMessages: 2 })
    expect(got.map((m) => m.payload)).toEqual([{ a: [1, 'é'] }, '{"a":[1,"é"]}'])
    expect(got.map((m) => m.decodeError)).toEqual([undefined, undefined])
  })

  test('a body the driver could not hand up is undecodable with the driver’s reason', async () => {
    const { queue, driver } = setup()
    driver.stored.push(
      foreign('{"$date":"1970-01-01T00:00:00.000Z"}', undefined, { undecodable: 'holds a Date' }),
    )
    const [m] = await queue.receive()
    expect(m!.decodeError!.message).toMatch(/the body of message r-1 holds a Date/)
    expect(() => m!.payload).toThrow(/holds a Date/)
  })

  test('a well-formed message is a plain object with nothing extra', async () => {
    const { queue, driver } = setup()
    driver.stored.push(foreign(new TextEncoder().encode('hi')))
    const [m] = await queue.receive()
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype)
    expect(Object.keys(m!).sort()).toEqual([
      'attempt',
      'attributes',
      'enqueuedAt',
      'id',
      'payload',
      'receiptHandle',
    ])
  })
})

describe('untypedBody: what a body without a content type arrives as', () => {
  function withMapping(untypedBody: 'text' | 'json-or-text') {
    const parts = setup()
    parts.driver.capabilities = { ...parts.driver.capabilities, untypedBody }
    return parts
  }
  const parses = (text: string) => {
    try {
      JSON.parse(text)
      return true
    } catch {
      return false
    }
  }

  test("property: under 'json-or-text', any JSON text arrives as its value, as text or as bytes", async () => {
    const { queue, driver } = withMapping('json-or-text')
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.boolean(), async (value, asBytes) => {
        const text = JSON.stringify(value)
        driver.stored.push(foreign(asBytes ? new TextEncoder().encode(text) : text))
        const [m] = await queue.receive({ waitSeconds: 0 })
        expect(m!.decodeError).toBeUndefined()
        expect(m!.payload).toStrictEqual(JSON.parse(text))
      }),
      { seed: 20261123, numRuns: 300 },
    )
  })

  test("property: under 'json-or-text', text that is not JSON arrives unchanged; under 'text', all text does", async () => {
    const json = withMapping('json-or-text')
    const text = withMapping('text')
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme' }), async (body) => {
        text.driver.stored.push(foreign(body))
        expect((await text.queue.receive({ waitSeconds: 0 }))[0]!.payload).toBe(body)
        if (parses(body)) return
        json.driver.stored.push(foreign(body))
        expect((await json.queue.receive({ waitSeconds: 0 }))[0]!.payload).toBe(body)
      }),
      { seed: 20261123, numRuns: 300 },
    )
  })

  test('a content type always wins over the mapping: text/plain stays text, invalid JSON under JSON stays undecodable', async () => {
    const { queue, driver } = withMapping('json-or-text')
    driver.stored.push(foreign('42', 'text/plain'))
    driver.stored.push(foreign('{"a":', CONTENT_TYPE_JSON))
    const [typed, invalid] = await queue.receive({ maxMessages: 2, waitSeconds: 0 })
    expect(typed!.payload).toBe('42')
    expect(invalid!.decodeError?.message).toMatch(/is not valid JSON/)
  })

  test('a number too large for JavaScript (1e400) is never read as Infinity: undecodable, or kept as text', async () => {
    const { queue, driver } = withMapping('json-or-text')
    driver.stored.push(foreign('{"n":1e400}', CONTENT_TYPE_JSON))
    driver.stored.push(foreign('[1, -1E+999]', CONTENT_TYPE_JSON))
    driver.stored.push(foreign('{"s":"1e400","n":1e300}', CONTENT_TYPE_JSON))
    driver.stored.push(foreign('1e400'))
    const [object, array, fine, untyped] = await queue.receive({ maxMessages: 4, waitSeconds: 0 })
    expect(object!.decodeError?.message).toMatch(/too large for a JavaScript number at payload\.n\b/)
    expect(new TextDecoder().decode(object!.rawBody)).toBe('{"n":1e400}')
    expect(array!.decodeError?.message).toMatch(/at payload\[1\]/)
    expect(fine!.payload).toEqual({ s: '1e400', n: 1e300 })
    expect(untyped!.payload).toBe('1e400')
  })

  test('a driver option outside the two mappings is a typed error naming the field', () => {
    expect(resolveUntypedBody(undefined, 'json-or-text', 'x')).toBe('json-or-text')
    expect(resolveUntypedBody('text', 'json-or-text', 'x')).toBe('text')
    for (const bad of ['json', 'TEXT', '', 1, null]) {
      expect(() => resolveUntypedBody(bad, 'text', 'x')).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'untypedBody', driver: 'x' }),
      )
    }
  })

  test('bytes that are not UTF-8 are undecodable under either mapping', async () => {
    const { queue, driver } = withMapping('json-or-text')
    driver.stored.push(foreign(new Uint8Array([0x34, 0x32, 0xff])))
    const [m] = await queue.receive({ waitSeconds: 0 })
    expect(m!.decodeError?.message).toMatch(/is not valid UTF-8/)
  })
})

describe('consume: an undecodable message is dead-lettered at once, nothing of it lost', () => {
  async function deadLetter(message: OutgoingMessage) {
    const { queue, driver, client } = setup()
    driver.stored.push(message)
    const handled: unknown[] = []
    const events: string[] = []
    // The fake driver keeps every queue in one store: the dead-letter copy (marked dlq-reason) can come
    // back to this consumer before it stops, and is no handling of the undecodable original.
    const consumer = consume(
      queue,
      (m) => {
        if (m.attributes[DEAD_LETTER_ATTRIBUTES.reason] === undefined) handled.push(m.payload)
      },
      {
        waitSeconds: 0,
        maxAttempts: 5,
        // Events of the dead-letter copy (see above) are not the original's.
        onEvent: (e) => {
          if (e.message.attributes[DEAD_LETTER_ATTRIBUTES.reason] === undefined) events.push(e.type)
        },
      },
    )
    // Waits for the dead letter; the deadline only ends a test that fails anyway.
    const end = performance.now() + 30_000
    while (!events.includes('dead-lettered') && performance.now() < end)
      await new Promise((r) => setTimeout(r, 5))
    await consumer.stop()
    const sends = driver.calls.filter((c) => c.method === 'sendBatch')
    const [dead] = sends.at(-1)!.args[1] as OutgoingMessage[]
    await client.close()
    return { handled, events, dead: dead!, driver, sends }
  }

  test('invalid UTF-8: the handler never runs; the raw bytes go in base64, the reason names why', async () => {
    const bytes = new Uint8Array([0x61, 0xff, 0xfe, 0x00, 0x80])
    const { handled, events, dead, sends } = await deadLetter(
      foreign(bytes, 'application/octet-stream', { attributes: { team: 'billing' } }),
    )
    expect(handled).toEqual([])
    expect(events).toEqual(['received', 'dead-lettered'])
    expect(sends[0]!.args[0]).toBe('jobs-dlq')
    expect(Buffer.from(dead.body as string, 'base64')).toEqual(Buffer.from(bytes))
    expect(dead.attributes).toMatchObject({
      team: 'billing',
      [DEAD_LETTER_ATTRIBUTES.attempts]: '1',
      [DEAD_LETTER_BODY_ATTRIBUTES.encoding]: 'base64',
      [DEAD_LETTER_BODY_ATTRIBUTES.contentType]: 'application/octet-stream',
    })
    expect(dead.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toMatch(/^INVALID_PAYLOAD: .*is not valid UTF-8/)
  })

  test('invalid JSON under a JSON content type: the raw text goes as text, its content type beside it', async () => {
    const { handled, dead } = await deadLetter(foreign('{"half":', CONTENT_TYPE_JSON))
    expect(handled).toEqual([])
    expect(dead.body).toBe('{"half":')
    expect(dead.contentType).toBe('text/plain; charset=utf-8')
    expect(dead.attributes[DEAD_LETTER_BODY_ATTRIBUTES.encoding]).toBeUndefined()
    expect(dead.attributes[DEAD_LETTER_BODY_ATTRIBUTES.contentType]).toBe(CONTENT_TYPE_JSON)
    expect(dead.attributes[DEAD_LETTER_ATTRIBUTES.reason]).toMatch(/not valid JSON/)
  })

  test('foreign attributes anyqueue could not send again are left out of the copy instead of blocking it', async () => {
    const { dead } = await deadLetter(
      foreign(new Uint8Array([0xff]), undefined, {
        attributes: { 'content-foreign': 'x', empty: '', 'has space': 'y', kept: 'z' },
      }),
    )
    expect(Object.keys(dead.attributes).filter((n) => !n.startsWith('dlq-'))).toEqual(['kept'])
  })

  test('a well-formed message still reaches the handler with its payload', async () => {
    const { queue, driver } = setup()
    driver.stored.push(foreign(new TextEncoder().encode('[1,2]'), CONTENT_TYPE_JSON))
    const got: Message[] = []
    const consumer = consume(queue, (m) => void got.push(m), { waitSeconds: 0 })
    const end = performance.now() + 30_000
    while (got.length === 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 5))
    await consumer.stop()
    expect(got[0]!.payload).toEqual([1, 2])
  })
})
