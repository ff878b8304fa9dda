import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  isQueueError,
  openDriver,
  openQueueClient,
  registeredSchemes,
  registerScheme,
  type UrlParams,
} from '../src/index.js'
import { FakeDriver } from './fake-driver.js'

/** A test scheme whose driver records what the URL asked for. */
class UrlFakeDriver extends FakeDriver {
  constructor(
    readonly url: URL,
    readonly options: { leaseSeconds?: number; createIfMissing?: boolean; prefix?: string },
  ) {
    super()
    if (options.leaseSeconds !== undefined) this.leaseSeconds = options.leaseSeconds
  }
}
const open = (url: URL, params: UrlParams) =>
  new UrlFakeDriver(url, {
    leaseSeconds: params.integer('leaseSeconds', { min: 1, max: 43_200 }),
    createIfMissing: params.boolean('createIfMissing'),
    prefix: params.string('prefix'),
  })
registerScheme('fake', open)

async function rejection(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('openQueueClient', () => {
  test('a registered scheme opens its driver with the options in the query', async () => {
    const client = await openQueueClient('fake://host/path?leaseSeconds=7&createIfMissing=true&prefix=p-')
    const driver = client.driver as UrlFakeDriver
    expect(driver).toBeInstanceOf(UrlFakeDriver)
    expect(driver.url.host).toBe('host')
    expect(driver.options).toEqual({ leaseSeconds: 7, createIfMissing: true, prefix: 'p-' })
    expect(registeredSchemes()).toContain('fake')
    await client.close()
  })

  test('an unknown scheme of an anyqueue adapter is NOT_SUPPORTED naming the package to install', async () => {
    // queue-core's own tests cannot resolve the adapters, so the import it tries fails.
    const error = await rejection(() => openQueueClient('pubsub://my-project'))
    expect(isQueueError(error, 'NOT_SUPPORTED')).toBe(true)
    expect((error as Error).message).toContain('npm install @anyqueue/queue-pubsub @google-cloud/pubsub')
    expect((error as Error).message).toContain('import "@anyqueue/queue-pubsub"')
  })

  test('constructor: or toString: is a scheme nobody knows, not an adapter to install "(undefined)"', async () => {
    for (const url of ['constructor:x', 'tostring:x', 'hasownproperty:x']) {
      const error = await rejection(() => openDriver(url))
      expect(isQueueError(error, 'NOT_SUPPORTED')).toBe(true)
      expect((error as Error).message).not.toContain('undefined')
    }
  })

  test("an opener that throws its library's raw error gives INVALID_ARGUMENT on url, that error as cause", async () => {
    const raw = new TypeError("Missing 'sharedAccessKeyName'")
    registerScheme('rawfail', () => {
      throw raw
    })
    const error = await rejection(() => openQueueClient('rawfail://x'))
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'url', cause: raw })
    expect((error as Error).message).toContain("Missing 'sharedAccessKeyName'")
  })

  test('a scheme nobody knows is NOT_SUPPORTED pointing at registerScheme', async () => {
    const error = await rejection(() => openDriver('kafka://broker:9092'))
    expect(isQueueError(error, 'NOT_SUPPORTED')).toBe(true)
    expect((error as Error).message).toMatch(
      /"kafka:".*local:, memory:, sqs:, pubsub:, redis:, rediss:, servicebus:, postgres:, postgresql:.*registerScheme/,
    )
  })

  test('a malformed URL, a bad option value, a repeated or unknown option are INVALID_ARGUMENT naming it', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['not a url', 'url', /url must look like/],
      [
        'fake:?leaseSeconds=0',
        'url?leaseSeconds',
        /leaseSeconds must be a whole number from 1 to 43200, got "0"/,
      ],
      ['fake:?leaseSeconds=2.5', 'url?leaseSeconds', /got "2\.5"/],
      ['fake:?createIfMissing=yes', 'url?createIfMissing', /must be true or false, got "yes"/],
      ['fake:?prefix=a&prefix=b', 'url?prefix', /more than once/],
      [
        'fake:?leaseSecond=5',
        'url?leaseSecond',
        /not an option of "fake:" URLs \(known: createIfMissing, leaseSeconds, prefix\)/,
      ],
    ]
    for (const [url, field, message] of cases) {
      const error = await rejection(() => openDriver(url))
      expect(isQueueError(error, 'INVALID_ARGUMENT'), url).toBe(true)
      expect((error as { field?: string }).field, url).toBe(field)
      expect((error as Error).message, url).toMatch(message)
    }
  })

  test('registerScheme refuses a scheme a URL could not carry', () => {
    for (const scheme of ['', 'Sqs', '1x', 'a b', 'x:']) {
      expect(() => registerScheme(scheme, open), scheme).toThrow(/scheme must be/)
    }
  })

  test('property: any string either opens or fails with a QueueError naming the url, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.webUrl(),
          fc
            .tuple(fc.constantFrom('fake:', 'fake://h', 'memoryx:'), fc.webQueryParameters())
            .map(([s, q]) => `${s}?${q}`),
        ),
        async (url) => {
          try {
            await openDriver(url)
          } catch (error) {
            expect(isQueueError(error), String(error)).toBe(true)
            expect((error as { field?: string }).field).toMatch(/^url/)
          }
        },
      ),
      { seed: 20261123, numRuns: 300 },
    )
  })

  test('property: leaseSeconds round-trips for every whole number in range, and only those', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -100, max: 50_000 }), async (n) => {
        const got = await openDriver(`fake:?leaseSeconds=${n}`).then(
          (d) => d.leaseSeconds,
          (e: unknown) => (isQueueError(e, 'INVALID_ARGUMENT') ? 'invalid' : e),
        )
        expect(got).toBe(n >= 1 && n <= 43_200 ? n : 'invalid')
      }),
      { seed: 20261123, numRuns: 300 },
    )
  })
})
