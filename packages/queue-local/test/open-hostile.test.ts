/**
 * Opening a store from hostile or mistaken input (issue 27): every refusal is a typed QueueError,
 * and a refused open leaves nothing behind — no folder, no LevelDB lock — so the corrected call works.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openQueueClient, QueueClient } from '@anyqueue/queue-core'
import fc from 'fast-check'
import { afterAll, expect, test } from 'vitest'
import { createLocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-open-hostile-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  )

test('a malformed or escaping %-escape in a local: path is INVALID_ARGUMENT on the url', async () => {
  for (const url of [
    `local:${root}/%zz`,
    'local:./x%zz',
    `local:${root}/a%2f..%2f..%2fetc`,
    'local:./data/%2e%2e/%2e%2e/elsewhere',
    `local:${root}/a%5c..`,
    `local:${root}/a%00b`,
  ]) {
    expect(await failure(openQueueClient(`${url}?createIfMissing=true`)), url).toMatchObject({
      name: 'QueueError',
      code: 'INVALID_ARGUMENT',
      field: 'url',
    })
  }
  expect(existsSync(join(root, 'a'))).toBe(false)
})

test('a NUL or an overlong location is INVALID_ARGUMENT naming location, before any disk access', () => {
  expect(() => createLocalDriver({ location: join(root, 'a\0b') })).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'location' }),
  )
  expect(() => createLocalDriver({ location: join(root, 'a'.repeat(100_000)) })).toThrow(
    expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'location', limit: 4096 }),
  )
})

test('a URL option typo or a client option typo leaves no folder and no lock: the corrected open works', async () => {
  const folder = join(root, 'typo')
  const url = `local:${folder}?createIfMissing=true`
  expect(await failure(openQueueClient(`${url}&synk=1`))).toMatchObject({
    code: 'INVALID_ARGUMENT',
    field: 'url?synk',
  })
  expect(await failure(openQueueClient(url, { retyr: false } as never))).toMatchObject({
    code: 'INVALID_ARGUMENT',
  })
  expect(() => new QueueClient(createLocalDriver({ location: folder }), { retyr: false } as never)).toThrow()
  await new Promise((resolve) => setTimeout(resolve, 50)) // an open started by mistake would have run by now
  expect(existsSync(folder)).toBe(false)
  const client = await openQueueClient(url)
  await client.queue('jobs').send('in')
  await client.close()
})

test('a file given as the location is INVALID_ARGUMENT naming location, not EEXIST', async () => {
  const file = join(root, 'a-file')
  writeFileSync(file, 'not a store')
  for (const location of [file, join(file, 'below')]) {
    const client = new QueueClient(createLocalDriver({ location, createIfMissing: true }), { retry: false })
    expect(await failure(client.queue('jobs').send('x'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'location',
    })
    await client.close()
  }
})

const isRoot = process.getuid?.() === 0
test.skipIf(!isRoot)(
  'a new store on a read-only mount is PERMISSION_DENIED saying read-only (EROFS)',
  async () => {
    const mount = join(root, 'ro')
    mkdirSync(mount)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', mount])
    try {
      const client = new QueueClient(
        createLocalDriver({ location: join(mount, 'store'), createIfMissing: true }),
        {
          retry: false,
        },
      )
      const error = await failure(client.queue('jobs').send('x'))
      expect(error).toMatchObject({ code: 'PERMISSION_DENIED' })
      expect((error as Error).message).toContain('EROFS')
      await client.close()
    } finally {
      execFileSync('umount', ['-l', mount])
    }
  },
)

test('property: any local: URL opens or fails with a QueueError, and a failure leaves no folder behind', async () => {
  const segment = fc.oneof(
    fc.constantFrom(
      '..',
      '.',
      '%2e%2e',
      '%2E.',
      '%2f',
      '%5c',
      '%00',
      '%zz',
      '%',
      '%e2%82',
      'a b',
      '%41',
      'ok',
      '~',
    ),
    fc.string({ maxLength: 6 }),
  )
  const query = fc.constantFrom(
    '',
    '?createIfMissing=true',
    '?createIfMissing=true&synk=1',
    '?sync=maybe',
    '?leaseSeconds=0',
  )
  let n = 0
  await fc.assert(
    fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 4 }), query, async (segments, q) => {
      const base = join(root, `p${n++}`)
      mkdirSync(base)
      const url = `local:${base}/${segments.join('/')}${q}`
      let client: QueueClient | undefined
      try {
        client = await openQueueClient(url)
      } catch (error) {
        expect(error, url).toMatchObject({ name: 'QueueError' })
        await new Promise((resolve) => setImmediate(resolve))
        expect(existsSync(join(base, 'LOCK')), url).toBe(false)
        return
      }
      await client.close()
    }),
    { seed: 20_261_207, numRuns: 200 },
  )
})
