// End to end: the real `anyqueue` bin in child processes, against the local driver.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
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

    expect((await anyqueue([url, 'count', 'jobs'])).stdout.trim()).toBe('3')
    const peeked = await anyqueue([url, 'peek', 'jobs', '--json'])
    const messages = peeked.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(messages.map((m) => m.payload)).toEqual(['hello world', { n: 1 }, 'from stdin'])
    expect(messages[1].attributes).toEqual({ tenant: 'acme' })
    expect((await anyqueue([url, 'count', 'jobs', '--json'])).stdout.trim()).toBe(
      '{"queue":"jobs","count":3}',
    )

    const received = await anyqueue([url, 'receive', 'jobs', '-n', '2'])
    expect(received.code).toBe(0)
    expect(received.stdout).toContain('hello world')
    expect(received.stdout).toContain('{"n":1}')
    expect((await anyqueue([url, 'count', 'jobs'])).stdout.trim()).toBe('1') // receive acked two
  })

  test('redrive moves everything with a progress bar (rate, ETA) on stderr; purge needs --yes', async () => {
    await anyqueue([url, 'create', 'dlq'])
    await anyqueue([url, 'create', 'work'])
    for (let i = 0; i < 3; i++) await anyqueue([url, 'send', 'dlq', `dead ${i}`, '-a', 'dlq-reason=boom'])
    const moved = await anyqueue([url, 'redrive', 'dlq', 'work', '--progress'])
    expect(moved.code).toBe(0)
    expect(moved.stdout.trim()).toBe('moved 3 message(s) from dlq to work')
    expect(moved.stderr).toMatch(/redrive dlq → work \[.*\] 3\/3 \| \d+ msg\/s \| ETA/)
    const back = JSON.parse((await anyqueue([url, 'peek', 'work', '--json', '-n', '1'])).stdout)
    expect(back.attributes).toEqual({}) // the dlq- attributes stay behind

    const refused = await anyqueue([url, 'purge', 'work'])
    expect(refused.code).toBe(4)
    expect(refused.stderr).toMatch(/add --yes/)
    expect((await anyqueue([url, 'count', 'work'])).stdout.trim()).toBe('3')
    const purged = await anyqueue([url, 'purge', 'work', '--yes', '--json'])
    expect(JSON.parse(purged.stdout)).toEqual({ queue: 'work', deleted: 3 })
    expect(purged.stderr).toBe('') // no bar when stderr is not a terminal, unless asked
    expect((await anyqueue([url, 'count', 'work'])).stdout.trim()).toBe('0')
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
    expect((await anyqueue([url, 'count', 'events'])).stdout.trim()).toBe('0')
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

  test('ANYQUEUE_URL stands in for the URL argument', async () => {
    const run = await anyqueue(['create', 'from-env'], { env: { ANYQUEUE_URL: url } })
    expect(run.code).toBe(0)
    expect((await anyqueue([url, 'count', 'from-env'])).stdout.trim()).toBe('0')
  })
})
