// End to end: the real `anyqueue` bin in child processes, against the local driver.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLocalDriver } from '@anyqueue/queue-local'
import { afterAll, describe, expect, test } from 'vitest'

const bin = fileURLToPath(new URL('../bin/anyqueue.js', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'anyqueue-cli-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function anyqueue(
  args: string[],
  options: { env?: Record<string, string>; stdin?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...options.env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.stdin ?? '')
  })
}

describe('anyqueue on local:', () => {
  const url = `local:${join(root, 'db')}`

  test('create, send, count, peek, receive: the round trip a user types', async () => {
    expect((await anyqueue([url, 'create', 'jobs'])).code).toBe(0)
    const sentText = await anyqueue([url, 'send', 'jobs', 'hello world'])
    expect(sentText.code).toBe(0)
    expect(sentText.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/)
    const sentJson = await anyqueue([
      url,
      'send',
      'jobs',
      '{"n":1}',
      '--type',
      'json',
      '-a',
      'tenant=acme',
      '--json',
    ])
    expect(JSON.parse(sentJson.stdout)).toMatchObject({ queue: 'jobs', id: expect.any(String) })
    expect((await anyqueue([url, 'send', 'jobs', '-'], { stdin: 'from stdin' })).code).toBe(0)

    expect((await anyqueue([url, 'count', 'jobs'])).stdout).toMatch(
      /^3 visible, 0 in flight, 0 delayed; oldest \d+ s old\n$/,
    )
    const peeked = await anyqueue([url, 'peek', 'jobs', '--json'])
    const messages = peeked.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(messages.map((m) => m.payload)).toEqual(['hello world', { n: 1 }, 'from stdin'])
    expect(messages[1].attributes).toEqual({ tenant: 'acme' })
    expect(JSON.parse((await anyqueue([url, 'count', 'jobs', '--json'])).stdout)).toMatchObject({
      queue: 'jobs',
      count: 3,
      visible: 3,
      inFlight: 0,
      delayed: 0,
    })

    const received = await anyqueue([url, 'receive', 'jobs', '-n', '2'])
    expect(received.code).toBe(0)
    expect(received.stdout).toContain('hello world')
    expect(received.stdout).toContain('{"n":1}')
    expect((await anyqueue([url, 'count', 'jobs'])).stdout).toMatch(
      /^1 visible, 0 in flight, 0 delayed; oldest \d+ s old\n$/,
    ) // receive acked two
  })

  test('count and peek change nothing (issue 22): after a count and three peeks the next receive is attempt 1', async () => {
    await anyqueue([url, 'create', 'looked'])
    for (const body of ['one', 'two', 'later']) {
      await anyqueue([url, 'send', 'looked', body, ...(body === 'later' ? ['-d', '600'] : [])])
    }
    expect((await anyqueue([url, 'count', 'looked'])).stdout).toMatch(/^2 visible, 0 in flight, 1 delayed; /)
    for (let look = 0; look < 3; look++) {
      const peeked = (await anyqueue([url, 'peek', 'looked', '--json'])).stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
      expect(peeked.map((m) => [m.payload, m.state, m.deliveries])).toEqual([
        ['one', 'visible', 0],
        ['two', 'visible', 0],
        ['later', 'delayed', 0],
      ])
    }
    const client = createLocalDriver({ location: join(root, 'db') })
    try {
      const [first] = await client.receiveBatch('looked', { maxMessages: 1, waitSeconds: 0 })
      expect(first!.attempt).toBe(1)
      await client.nack('looked', first!.receiptHandle, 0)
    } finally {
      await client.close()
    }
    const purged = await anyqueue([url, 'purge', 'looked', '--yes'])
    expect(purged.stdout).toBe('deleted 2 message(s) from looked; not deleted: 1 delayed (not yet due)\n')
  })

  test('redrive moves everything with a progress bar (rate, ETA) on stderr; purge needs --yes', async () => {
    await anyqueue([url, 'create', 'dlq'])
    await anyqueue([url, 'create', 'work'])
    for (let i = 0; i < 3; i++) await anyqueue([url, 'send', 'dlq', `dead ${i}`, '-a', 'dlq-reason=boom'])
    const lines = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
    const deadIds = lines((await anyqueue([url, 'peek', 'dlq', '--json', '-n', '3'])).stdout).map((m) => m.id)
    const moved = await anyqueue([url, 'redrive', 'dlq', 'work', '--progress'])
    expect(moved.code).toBe(0)
    expect(moved.stdout.trim()).toBe('moved 3 message(s) from dlq to work')
    expect(moved.stderr).toMatch(/redrive dlq → work \[.*\] 3\/3 \| \d+ msg\/s \| ETA/)
    const back = lines((await anyqueue([url, 'peek', 'work', '--json', '-n', '3'])).stdout)
    // The dlq- attributes stay behind; the id each had in the dead-letter queue goes along.
    expect(back.map((m) => Object.keys(m.attributes))).toEqual([
      ['dlq-original-id'],
      ['dlq-original-id'],
      ['dlq-original-id'],
    ])
    expect(back.map((m) => m.attributes['dlq-original-id']).sort()).toEqual([...deadIds].sort())

    const refused = await anyqueue([url, 'purge', 'work'])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toMatch(/add --yes/)
    expect((await anyqueue([url, 'count', 'work'])).stdout).toMatch(
      /^3 visible, 0 in flight, 0 delayed; oldest \d+ s old\n$/,
    )
    const purged = await anyqueue([url, 'purge', 'work', '--yes', '--json'])
    expect(JSON.parse(purged.stdout)).toEqual({ queue: 'work', deleted: 3 })
    expect(purged.stderr).toBe('') // no bar when stderr is not a terminal, unless asked
    expect((await anyqueue([url, 'count', 'work'])).stdout).toMatch(
      /^0 visible, 0 in flight, 0 delayed; oldest \d+ s old\n$/,
    )
  })

  test('tail prints messages as they arrive and acks them; --max ends it', async () => {
    await anyqueue([url, 'create', 'events'])
    await anyqueue([url, 'send', 'events', 'one'])
    await anyqueue([url, 'send', 'events', 'two'])
    const tailed = await anyqueue([url, 'tail', 'events', '--max', '2', '--json'])
    expect(tailed.code).toBe(0)
    expect(
      tailed.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).payload),
    ).toEqual(['one', 'two'])
    expect((await anyqueue([url, 'count', 'events'])).stdout).toMatch(
      /^0 visible, 0 in flight, 0 delayed; oldest \d+ s old\n$/,
    )
  })

  test('exit codes: 3 for a missing queue, 4 refused, 2 for usage; errors on stderr, in one line', async () => {
    const missing = await anyqueue([url, 'count', 'nowhere'])
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(
      /^anyqueue: \[local\] queue "nowhere" does not exist in [^:]+\(QUEUE_NOT_FOUND; create it with: anyqueue <url> create <queue>\)\n$/,
    )
    expect((await anyqueue([url, 'delete', 'jobs'])).code).toBe(4)
    expect((await anyqueue([url, 'delete', 'jobs', '--yes'])).code).toBe(0)
    expect((await anyqueue([url, 'count', 'jobs'])).code).toBe(3)

    const noUrl = await anyqueue(['count', 'jobs'], { env: { ANYQUEUE_URL: '' } })
    expect(noUrl.code).toBe(2)
    expect(noUrl.stderr).toMatch(/no queue URL.*ANYQUEUE_URL/)
    const unknown = await anyqueue(['kafka://broker', 'count', 'jobs'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/no driver for "kafka:" URLs/)
    expect((await anyqueue([url, 'peek', 'jobs', '-n', 'x'])).code).toBe(2)
    expect((await anyqueue([url, 'frobnicate'])).code).toBe(2)
    expect((await anyqueue([url, 'count', 'bad name!'])).code).toBe(2)
    const help = await anyqueue(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/redrive.*\n.*purge/s)
  })

  test('queues lists the queues of the store, sorted, human and --json', async () => {
    mkdirSync(join(root, 'listing')) // an empty folder: the store is made in it on opening
    const fresh = `local:${join(root, 'listing')}`
    expect((await anyqueue([fresh, 'queues'])).stdout).toBe('(no queues)\n')
    for (const name of ['orders', 'Jobs', 'orders-dlq']) await anyqueue([fresh, 'create', name])
    const human = await anyqueue([fresh, 'queues'])
    expect(human.code).toBe(0)
    expect(human.stdout).toBe('Jobs\norders\norders-dlq\n')
    expect(JSON.parse((await anyqueue([fresh, 'queues', '--json'])).stdout)).toEqual([
      'Jobs',
      'orders',
      'orders-dlq',
    ])
  })

  test('send - drops exactly one trailing newline of stdin (\\n or \\r\\n), nothing more', async () => {
    await anyqueue([url, 'create', 'lines'])
    for (const stdin of ['line\n', 'two\n\n', 'crlf\r\n', 'none']) {
      expect((await anyqueue([url, 'send', 'lines', '-'], { stdin })).code).toBe(0)
    }
    const sent = (await anyqueue([url, 'receive', 'lines', '-n', '10', '--json'])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).payload)
    expect(sent).toEqual(['line', 'two\n', 'crlf', 'none'])
  })

  test('ANYQUEUE_URL stands in for the URL argument', async () => {
    const run = await anyqueue(['create', 'from-env'], { env: { ANYQUEUE_URL: url } })
    expect(run.code).toBe(0)
    expect((await anyqueue([url, 'count', 'from-env'])).stdout).toMatch(/^0 visible, /)
  })
})

describe('a mistyped local: path', () => {
  const typo = join(root, 'typo')

  test('every command but create (and send with createIfMissing) fails with exit 3 and creates nothing', async () => {
    for (const args of [
      ['count', 'jobs'],
      ['peek', 'jobs'],
      ['queues'],
      ['receive', 'jobs'],
      ['tail', 'jobs', '--no-ack', '-w', '1', '-n', '1'],
      ['send', 'jobs', 'x'],
    ]) {
      const run = await anyqueue([`local:${typo}`, ...args])
      expect(run.code, args.join(' ')).toBe(3)
      expect(run.stderr, args.join(' ')).toBe(
        `anyqueue: no local store at ${typo}: check the path, or make one there with: anyqueue local:${typo} create <queue>\n`,
      )
      expect(existsSync(typo), args.join(' ')).toBe(false)
    }
    expect((await anyqueue([`local:${typo}?createIfMissing=true`, 'count', 'jobs'])).code).toBe(3)
    expect(existsSync(typo)).toBe(false) // read-only stays read-only, whatever the URL allows
  })

  test('create and send with createIfMissing make the store, as asked', async () => {
    expect((await anyqueue([`local:${typo}-sent?createIfMissing=true`, 'send', 'jobs', 'x'])).code).toBe(0)
    expect((await anyqueue([`local:${typo}-made`, 'create', 'jobs'])).code).toBe(0)
    expect((await anyqueue([`local:${typo}-sent`, 'count', 'jobs'])).stdout).toMatch(/^1 visible, /)
    expect((await anyqueue([`local:${typo}-made`, 'count', 'jobs'])).stdout).toMatch(/^0 visible, /)
  })
})

describe('what the CLI says about itself and its setup', () => {
  test('--version and -V print the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    for (const flag of ['--version', '-V']) {
      const run = await anyqueue([flag])
      expect(run.code).toBe(0)
      expect(run.stdout).toBe(`${version}\n`)
    }
  })

  test('a cloud URL without its adapter says to install it beside the CLI, not to import it', async () => {
    const run = await anyqueue(['sqs://?region=eu-west-1', 'count', 'jobs'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('install @anyqueue/queue-sqs and @aws-sdk/client-sqs there')
    expect(run.stderr).toContain(
      'npx -p @anyqueue/cli -p @anyqueue/queue-sqs -p @aws-sdk/client-sqs anyqueue',
    )
    expect(run.stderr).not.toMatch(/import/)
  })

  test('a local: store another process holds open is UNAVAILABLE, exit 1, saying so (the README shows it)', async () => {
    const location = join(root, 'held')
    const app = createLocalDriver({ location, createIfMissing: true })
    await app.createQueue('jobs') // this test process is "the app": it holds the store open
    try {
      const run = await anyqueue([`local:${location}`, 'count', 'jobs'])
      expect(run.code).toBe(1)
      expect(run.stderr).toBe(
        `anyqueue: [local] the database at ${location} is locked: another process has it open (LevelDB admits one process at a time) (UNAVAILABLE)\n`,
      )
    } finally {
      await app.close()
    }
  })
})
