// Hostile input to the CLI (issue 27): stdin bounded and never altered, redrive onto itself refused,
// no store left behind by a failed command, no stack trace ever, `LOCAL:` read as `local:`.
import { spawn } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import { main } from '../src/index.js'
import { readStdinBytes, STDIN_LIMIT, stdinText } from '../src/stdin.js'

const bin = fileURLToPath(new URL('../bin/anyqueue.js', import.meta.url))
const root = mkdtempSync(join(tmpdir(), 'anyqueue-cli-hard-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let folders = 0
const fresh = () => join(root, `s${folders++}`)

function anyqueue(
  args: string[],
  stdin: string | Buffer = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.on('error', () => {}) // the CLI stops reading at the cap: the rest is refused (EPIPE)
    child.stdin.end(stdin)
  })
}

const STACK = /\n\s+at /

describe('stdin', () => {
  test('bytes that are not UTF-8 are a usage error and nothing is sent', async () => {
    const store = fresh()
    const url = `local:${store}`
    expect((await anyqueue([url, 'create', 'q'])).code).toBe(0)
    const binary = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe])
    const sent = await anyqueue([url, 'send', 'q', '-'], binary)
    expect(sent.code).toBe(2)
    expect(sent.stderr).toMatch(/not UTF-8/)
    expect((await anyqueue([url, 'receive', 'q', '-w', '0'])).stdout).toBe('(no messages)\n')
  })

  test('a byte order mark is kept, not dropped', () => {
    expect(stdinText(Buffer.from('\ufeffhi'))).toBe('\ufeffhi')
  })

  test('more than the limit is MESSAGE_TOO_LARGE with no stack trace, and leaves no store', async () => {
    const store = fresh()
    const sent = await anyqueue(
      [`local:${store}?createIfMissing=true`, 'send', 'q', '-'],
      Buffer.alloc(4 << 20, 'a'),
    )
    expect(sent.code).toBe(2)
    expect(sent.stderr).toMatch(/MESSAGE_TOO_LARGE/)
    expect(sent.stderr).not.toMatch(STACK)
    expect(existsSync(store)).toBe(false)
  })

  test('reads at most limit + 1 bytes of a larger input', async () => {
    const file = join(root, 'big')
    writeFileSync(file, Buffer.alloc(1 << 20, 'b'))
    const fd = openSync(file, 'r')
    try {
      await expect(readStdinBytes(1000, fd)).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' })
      // What is left unread on the descriptor: everything after the first 1001 bytes.
      let rest = 0
      const buffer = Buffer.alloc(1 << 16)
      for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) rest += n
      expect(rest).toBe((1 << 20) - 1001)
    } finally {
      closeSync(fd)
    }
    expect(STDIN_LIMIT).toBeGreaterThan(65_536)
  })
})

describe('commands that fail leave nothing behind', () => {
  test('redrive onto the same queue is refused and moves nothing', async () => {
    const url = `local:${fresh()}`
    expect((await anyqueue([url, 'create', 'r'])).code).toBe(0)
    for (const body of ['1', '2', '3']) expect((await anyqueue([url, 'send', 'r', body])).code).toBe(0)
    const redrive = await anyqueue([url, 'redrive', 'r', 'r'])
    expect(redrive.code).toBe(2)
    expect(redrive.stderr).toMatch(/both <from> and <to>/)
    expect((await anyqueue([url, 'count', 'r'])).stdout.trim()).toMatch(/^3 visible, 0 in flight, 0 delayed/)
  })

  test('a failed create, send or URL typo leaves no store at a new path', async () => {
    for (const args of [
      (u: string) => [u, 'create', 'bad name'],
      (u: string) => [`${u}?createIfMissing=true`, 'send', 'q', 'x'.repeat(70_000)],
      (u: string) => [`${u}?createIfMissing=true`, 'send', 'bad name', 'x'],
      (u: string) => [`${u}?createIfMissing=true&synk=1`, 'send', 'q', 'x'],
      (u: string) => [`${u}?synk=1`, 'create', 'q'],
    ]) {
      const store = fresh()
      const run = await anyqueue(args(`local:${store}`))
      expect(run.code, run.stderr).toBe(2)
      expect(run.stderr).not.toMatch(STACK)
      expect(existsSync(store), `${args('local:…').join(' ')} left a store`).toBe(false)
    }
  })

  test('count on a folder that holds files but no store writes nothing there', async () => {
    const folder = fresh()
    mkdirSync(folder)
    writeFileSync(join(folder, 'notes.txt'), 'mine')
    const run = await anyqueue([`local:${folder}`, 'count', 'q'])
    expect(run.code).toBe(3)
    expect(readdirSync(folder)).toEqual(['notes.txt'])
  })

  test('a malformed %-escape is a usage error without a stack trace; LOCAL: is local:', async () => {
    const run = await anyqueue(['local:./x%zz', 'count', 'q'])
    expect(run.code).toBe(2)
    expect(run.stderr).not.toMatch(STACK)
    const store = fresh()
    expect((await anyqueue([`LOCAL:${store}`, 'create', 'q'])).code).toBe(0)
    expect((await anyqueue([`LOCAL:${store}`, 'count', 'q'])).stdout.trim()).toMatch(
      /^0 visible, 0 in flight, 0 delayed/,
    )
  })
})

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

test('property: any command line exits 0 to 4 with one-line errors, and a failure leaves no new store', async () => {
  const word = fc.oneof(
    fc.constantFrom('queues', 'count', 'peek', 'send', 'receive', 'redrive', 'purge', 'create', 'delete'),
    fc.constantFrom(
      'q',
      'r',
      'bad name',
      '',
      '-n',
      '0',
      '99999',
      '--json',
      '--yes',
      '-t',
      'json',
      '-a',
      'k=v',
      '=',
      '{',
    ),
    fc.string({ maxLength: 8 }).filter((s) => s !== '-'),
  )
  const scheme = fc.constantFrom('local:', 'LOCAL:', 'memory:', 'constructor:', 'nope:', 'local:%zz', 'sqs:')
  const query = fc.constantFrom('', '?createIfMissing=true', '?synk=1', '?leaseSeconds=-1')
  await fc.assert(
    fc.asyncProperty(scheme, query, fc.array(word, { maxLength: 5 }), async (s, q, words) => {
      const store = fresh()
      const url =
        s.startsWith('local:') || s === 'LOCAL:' ? `${s}${s === 'local:%zz' ? '' : store}${q}` : `${s}${q}`
      const out = sink()
      const err = sink()
      const code = await main([url, ...words], { stdout: out.stream, stderr: err.stream, env: {} })
      expect([0, 1, 2, 3, 4]).toContain(code)
      expect(err.text()).not.toMatch(STACK)
      if (code !== 0) expect(existsSync(store), `${url} ${words.join(' ')}`).toBe(false)
    }),
    { seed: 20_261_207, numRuns: 150 },
  )
}, 120_000)
