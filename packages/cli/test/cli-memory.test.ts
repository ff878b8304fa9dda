// In-process: `main()` against one memory driver shared by several command lines, so a command can
// run while another process would be sending.
import { Writable } from 'node:stream'
import { QueueClient } from '@anyqueue/queue-core'
import type { QueueDriver } from '@anyqueue/queue-core/driver'
import { createMemoryDriver } from '@anyqueue/queue-memory'
import fc from 'fast-check'
import { describe, expect, test, vi } from 'vitest'
import { parseAttributes, parseBody, stdinBody } from '../src/commands.js'
import { EXIT, main } from '../src/index.js'

function sink() {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk
      done()
    },
  })
  return { stream, text: () => text }
}

/** One memory driver behind every command line; each `main` closes only its own client. */
function shared() {
  const driver = createMemoryDriver()
  const keep: QueueDriver = new Proxy(driver, {
    get(target, key) {
      if (key === 'close') return async () => {}
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  const client = new QueueClient(driver)
  /** Starts a command line; `stdout()` is what it printed so far, `done` its exit code and output. */
  const start = (argv: string[], signal?: AbortSignal) => {
    const out = sink()
    const err = sink()
    const done = main(['memory:', ...argv], {
      stdout: out.stream,
      stderr: err.stream,
      open: async () => new QueueClient(keep),
      ...(signal && { signal }),
    }).then((code) => ({ code, stdout: out.text(), stderr: err.text() }))
    return { stdout: out.text, done }
  }
  const run = (argv: string[], signal?: AbortSignal) => start(argv, signal).done
  return { driver, client, run, start }
}

describe('anyqueue on memory:', () => {
  test('queues lists what exists', async () => {
    const { client, run } = shared()
    await client.createQueue('b')
    await client.createQueue('a')
    expect((await run(['queues'])).stdout).toBe('a\nb\n')
    expect((await run(['queues', '--json'])).stdout).toBe('["a","b"]\n')
  })

  test('tail follows: a message sent while it waits is printed and acked', async () => {
    const { client, run } = shared()
    await client.createQueue('live')
    const tailing = run(['tail', 'live', '--max', '1', '--json'])
    await new Promise((resolve) => setTimeout(resolve, 100))
    await client.queue('live').send({ late: true })
    const { code, stdout } = await tailing
    expect(code).toBe(EXIT.ok)
    expect(JSON.parse(stdout).payload).toEqual({ late: true })
    expect(await client.queue('live').receive({ waitSeconds: 0 })).toEqual([])
  })

  test('tail --no-ack leaves messages for others; Ctrl-C (the signal) ends it cleanly', async () => {
    const { client, start } = shared()
    await client.createQueue('keep')
    await client.queue('keep').send('stay')
    const stop = new AbortController()
    const tailing = start(['tail', 'keep', '--no-ack'], stop.signal)
    // Ctrl-C once the message is shown, however long that takes on a loaded machine.
    await vi.waitFor(() => expect(tailing.stdout()).toContain('stay'), { timeout: 30_000, interval: 10 })
    stop.abort()
    const { code, stdout } = await tailing.done
    expect(code).toBe(EXIT.ok)
    expect(stdout).toContain('stay')
    expect(await client.queue('keep').receive({ waitSeconds: 0 })).toEqual([]) // still leased by tail
  })

  test('tail shows an undecodable message from another producer as such, with its raw body', async () => {
    const { client, driver, run } = shared()
    await client.createQueue('foreign')
    await driver.sendBatch('foreign', [
      { body: '{half', contentType: 'application/json', bytes: 5, delaySeconds: 0, attributes: {} },
    ])
    const { code, stdout } = await run(['tail', 'foreign', '--max', '1', '--json'])
    expect(code).toBe(EXIT.ok)
    const shown = JSON.parse(stdout)
    expect(shown.decodeError).toMatch(/not valid JSON/)
    expect(Buffer.from(shown.rawBody, 'base64').toString()).toBe('{half')
    expect(shown).not.toHaveProperty('payload')
  })

  test('send rejects a body that is not JSON with --type json, naming the fix', async () => {
    const { client, run } = shared()
    await client.createQueue('q')
    const { code, stderr } = await run(['send', 'q', '{nope', '--type', 'json'])
    expect(code).toBe(EXIT.usage)
    expect(stderr).toMatch(/the body is not JSON.*drop --type json/)
  })

  test('a too-large body is MESSAGE_TOO_LARGE, exit 2', async () => {
    const { client, run } = shared()
    await client.createQueue('q')
    const { code, stderr } = await run(['send', 'q', 'x'.repeat(65_537)])
    expect(code).toBe(EXIT.usage)
    expect(stderr).toMatch(/65536.*MESSAGE_TOO_LARGE/)
  })
})

describe('memory: from the command line', () => {
  test('a missing queue does not suggest `create`: each run has its own, empty store', async () => {
    const out = sink()
    const err = sink()
    const code = await main(['memory:', 'count', 'jobs'], { stdout: out.stream, stderr: err.stream })
    expect(code).toBe(EXIT.notFound)
    expect(err.text()).toMatch(
      /QUEUE_NOT_FOUND; a memory: store lives only in the one process that opened it/,
    )
    expect(err.text()).not.toMatch(/create/)
  })
})

describe('argument parsing', () => {
  test('property: any JSON value sent with --type json arrives equal; text stays text', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, text) => {
        expect(parseBody(JSON.stringify(value), 'json')).toEqual(JSON.parse(JSON.stringify(value)))
        expect(parseBody(text, 'text')).toBe(text)
      }),
      { seed: 20261123, numRuns: 300 },
    )
  })

  test('property: name=value attributes split at the first =, values keep theirs', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,20}$/)
    fc.assert(
      fc.property(fc.dictionary(name, fc.string()), (attributes) => {
        const pairs = Object.entries(attributes).map(([k, v]) => `${k}=${v}`)
        expect(parseAttributes(pairs)).toEqual(attributes)
      }),
      { seed: 20261123, numRuns: 300 },
    )
    for (const bad of ['novalue', '=x', '']) expect(() => parseAttributes([bad]), bad).toThrow(/name=value/)
  })

  test('property: a name given twice is an error naming it and both values, wherever the repeat is', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,20}$/)
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.string(),
        fc.string(),
        (names, pick, first, second) => {
          const twice = names[pick % names.length]!
          const pairs = [...names.map((n) => `${n}=${n === twice ? first : 'v'}`), `${twice}=${second}`]
          expect(() => parseAttributes(pairs)).toThrow(
            `attribute "${twice}" is given twice (${twice}=${first} and ${twice}=${second})`,
          )
        },
      ),
      { seed: 20261123, numRuns: 300 },
    )
  })

  test('property: stdin loses exactly one trailing \\n or \\r\\n, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '\n', '\r', '\t', 'é') }), (text) => {
        expect(stdinBody(`${text}\r\n`)).toBe(text)
        if (!text.endsWith('\r')) expect(stdinBody(`${text}\n`)).toBe(text)
        if (!text.endsWith('\n')) expect(stdinBody(text)).toBe(text)
      }),
      { seed: 20261123, numRuns: 300 },
    )
  })
})
