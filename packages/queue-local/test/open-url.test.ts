import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { isQueueError, openQueueClient } from '@anyqueue/queue-core'
import { afterAll, expect, test } from 'vitest'
import { LocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-local-url-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

test('local:<path> opens the database in that folder, relative to the working directory', async () => {
  const folder = join(root, 'my data')
  const first = await openQueueClient(
    `local:${relative(process.cwd(), folder)}?createIfMissing=true&leaseSeconds=2`,
  )
  expect(first.driver).toBeInstanceOf(LocalDriver)
  expect(first.driver.leaseSeconds).toBe(2)
  await first.queue('jobs').send('kept')
  await first.close()
  // The same folder, named absolutely and percent-encoded: the message is there.
  const again = await openQueueClient(`local:${encodeURI(folder)}`)
  const [m] = await again.queue('jobs').receive({ waitSeconds: 0 })
  expect(m?.payload).toBe('kept')
  await again.close()
})

test('local: without createIfMissing a missing queue is QUEUE_NOT_FOUND; a bad sync value names itself', async () => {
  mkdirSync(join(root, 'strict'))
  const client = await openQueueClient(`local:${join(root, 'strict')}?sync=false`)
  const error = await client
    .queue('nope')
    .send('x')
    .catch((e: unknown) => e)
  expect(isQueueError(error, 'QUEUE_NOT_FOUND')).toBe(true)
  await client.close()
  const bad = await openQueueClient(`local:${join(root, 'x')}?sync=maybe`).catch((e: unknown) => e)
  expect((bad as { field?: string }).field).toBe('url?sync')
})

test('local: untypedBody from the URL reaches the capabilities; a value outside the two is INVALID_ARGUMENT', async () => {
  mkdirSync(join(root, 'untyped'))
  const client = await openQueueClient(`local:${join(root, 'untyped')}?untypedBody=json-or-text`)
  expect(client.driver.capabilities.untypedBody).toBe('json-or-text')
  await client.close()
  const plain = await openQueueClient(`local:${join(root, 'untyped')}`)
  expect(plain.driver.capabilities.untypedBody).toBe('text')
  await plain.close()
  const bad = await openQueueClient(`local:${join(root, 'untyped')}?untypedBody=json`).catch(
    (e: unknown) => e,
  )
  expect(bad).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'untypedBody' })
})

test('local: refuses a folder that does not exist unless createIfMissing=true: a typo never makes an empty store', async () => {
  const typo = join(root, 'tpyo')
  for (const url of [`local:${typo}`, `local:${typo}?createIfMissing=false`]) {
    const error = await openQueueClient(url).catch((e: unknown) => e)
    expect(error, url).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'url?createIfMissing',
      driver: 'local',
    })
    expect((error as Error).message, url).toContain(`no local store at ${typo}`)
    expect(existsSync(typo), url).toBe(false)
  }
  // The option the driver reads for queues makes the store too; once there, the plain URL opens it.
  const made = await openQueueClient(`local:${typo}?createIfMissing=true`)
  await made.queue('jobs').send('x')
  await made.close()
  expect(existsSync(typo)).toBe(true)
  const again = await openQueueClient(`local:${typo}`)
  expect(await again.queue('jobs').receive({ waitSeconds: 0 })).toHaveLength(1)
  await again.close()
})
