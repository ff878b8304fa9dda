import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { consume, QueueClient } from '@anyqueue/queue-core'
import { afterAll, describe, expect, test } from 'vitest'
import { createLocalDriver } from '../src/index.js'
import { countDbCalls } from './db-calls.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-local-test-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const child = fileURLToPath(new URL('./fixtures/child.mjs', import.meta.url))
let folders = 0
const location = () => join(root, `db${++folders}`)

function open(at: string, leaseSeconds = 30) {
  return new QueueClient(createLocalDriver({ location: at, leaseSeconds, createIfMissing: true }))
}

describe('local driver', () => {
  // Tests with child processes: node starts in a second or two on an idle machine, in 10-25 s on a
  // 2-core one running every package's tests. Their limits only end a test that hangs.
  test('a send that resolved survives SIGKILL of the sending process', { timeout: 300_000 }, async () => {
    const at = location()
    const proc = spawn(process.execPath, [child, 'send', at, 'jobs'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const acknowledged: string[] = []
    let buffered = ''
    await new Promise<void>((resolve, reject) => {
      proc.once('error', reject)
      proc.once('exit', (code) => reject(new Error(`child exited early with ${code}`)))
      proc.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        acknowledged.push(...lines)
        if (acknowledged.length >= 200) {
          proc.removeAllListeners('exit')
          proc.kill('SIGKILL') // mid-stream: more sends are in flight right now
          proc.once('exit', () => resolve())
        }
      })
    })
    const client = open(at)
    const queue = client.queue<{ n: number }>('jobs')
    const received = new Set<string>()
    for (;;) {
      const got = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
      if (got.length === 0) break
      for (const m of got) received.add(m.id)
    }
    await client.close()
    const lost = acknowledged.filter((id) => !received.has(id))
    expect(lost).toEqual([])
    expect(received.size).toBeGreaterThanOrEqual(acknowledged.length)
  })

  test('a second process opening the same database gets a clear UNAVAILABLE error', {
    timeout: 300_000,
  }, async () => {
    const at = location()
    const client = open(at)
    await client.queue('held').send('mine')
    const out = await new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, [child, 'open', at, 'held'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let text = ''
      proc.stdout.on('data', (c: Buffer) => {
        text += c.toString()
      })
      proc.once('error', reject)
      proc.once('exit', () => resolve(text.trim()))
    })
    const reported = JSON.parse(out) as { code: string; retryable: boolean; message: string }
    expect(reported.code).toBe('UNAVAILABLE')
    expect(reported.retryable).toBe(false)
    expect(reported.message).toMatch(/locked: another process has it open/)
    // The holder is unharmed.
    const [m] = await client.queue('held').receive({ waitSeconds: 0 })
    expect(m?.payload).toBe('mine')
    await client.close()
  })

  test('concurrent receives in one process never hand out the same message twice', async () => {
    const client = open(location())
    const queue = client.queue<number>('busy')
    for (let b = 0; b < 20; b++) {
      await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: b * 10 + i })))
    }
    const batches = await Promise.all(
      Array.from({ length: 40 }, () => queue.receive({ maxMessages: 10, waitSeconds: 1 })),
    )
    const ids = batches.flat().map((m) => m.id)
    expect(ids.length).toBe(200)
    expect(new Set(ids).size).toBe(200)
    await client.close()
  })

  test('consume() shares a write between its acks and its next receive: about one LevelDB write per 10 messages', async () => {
    const driver = createLocalDriver({ location: location(), createIfMissing: true })
    const client = new QueueClient(driver)
    const queue = client.queue<number>('shared-writes')
    for (let b = 0; b < 100; b++) {
      await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: b * 10 + i })))
    }
    const writes = countDbCalls(driver.db, 'batch')
    let handled = 0
    let finish = () => {}
    const finished = new Promise<void>((resolve) => {
      finish = resolve
    })
    const consumer = consume(queue, () => void (++handled === 1000 && finish()), { concurrency: 16 })
    await finished
    await consumer.stop()
    // Apart: a delivered mark per receive plus a batch of deletes per ack, 200 writes in all.
    expect(writes.count).toBeLessThan(140)
    expect(await queue.receive({ waitSeconds: 0 })).toEqual([])
    await client.close()
  })

  test('many queues share one database, and survive a reopen with their own messages', async () => {
    const at = location()
    let client = open(at)
    for (const name of ['a', 'b', 'a-b', 'a_b']) await client.queue(name).send(name)
    await client.close()
    client = open(at)
    for (const name of ['a', 'b', 'a-b', 'a_b']) {
      const got = await client.queue(name).receive({ maxMessages: 10, waitSeconds: 0 })
      expect(got.map((m) => m.payload)).toEqual([name])
    }
    await client.close()
  })

  test('a receipt handle is never reused after its message is acked and the database reopened', async () => {
    const at = location()
    let client = open(at)
    await client.queue('q').send('first')
    const [first] = await client.queue('q').receive({ waitSeconds: 0 })
    await client.queue('q').ack(first!)
    await client.close()
    client = open(at)
    await client.queue('q').send('second')
    const [second] = await client.queue('q').receive({ waitSeconds: 0 })
    expect(second!.receiptHandle).not.toBe(first!.receiptHandle)
    await client.queue('q').ack(first!) // the stale handle must not delete the new message
    await client.queue('q').nack(second!)
    const [again] = await client.queue('q').receive({ waitSeconds: 0 })
    expect(again?.payload).toBe('second')
    await client.close()
  })

  test('receipt handles never repeat across deleteQueue + createQueue, in one process or after a reopen', async () => {
    const at = location()
    let client = open(at)
    await client.queue('jobs').send('old')
    const [old] = await client.queue('jobs').receive({ waitSeconds: 0 })
    await client.deleteQueue('jobs')
    await client.createQueue('jobs')
    await client.queue('jobs').send('new')
    const [fresh] = await client.queue('jobs').receive({ waitSeconds: 0 })
    expect(fresh!.receiptHandle).not.toBe(old!.receiptHandle)
    await client.queue('jobs').ack(old!) // a handle of the deleted queue must not touch the new message
    await client.queue('jobs').nack(fresh!)
    await client.close()
    client = open(at)
    await client.deleteQueue('jobs')
    await client.createQueue('jobs')
    await client.queue('jobs').send('newer')
    const [newer] = await client.queue('jobs').receive({ waitSeconds: 0 })
    expect(new Set([old!.receiptHandle, fresh!.receiptHandle, newer!.receiptHandle]).size).toBe(3)
    await client.queue('jobs').ack(old!)
    await client.queue('jobs').ack(fresh!)
    await client.queue('jobs').nack(newer!)
    const [again] = await client.queue('jobs').receive({ waitSeconds: 0 })
    expect(again?.payload).toBe('newer')
    await client.close()
  })

  test('a deleted queue stays deleted after a reopen, and leftovers of a cut-short deletion never reappear', async () => {
    const at = location()
    let client = open(at)
    await client.queue('gone').send('x')
    await client.deleteQueue('gone')
    await client.close()
    const driver = createLocalDriver({ location: at })
    client = new QueueClient(driver)
    await expect(client.queue('gone').send('y')).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' })
    // As if a crash stopped a deletion after its marker went: the messages are still on disk.
    await driver.db.put('M!gone!00000000000ff', 'id\n\n0\n\nleftover')
    await client.createQueue('gone')
    expect(await client.queue('gone').receive({ waitSeconds: 0 })).toEqual([])
    await client.close()
  })

  test('opening is lazy, and without createIfMissing a missing queue is QUEUE_NOT_FOUND', async () => {
    const at = location()
    const driver = createLocalDriver({ location: at })
    expect(driver.db.status).toBe('opening')
    const client = new QueueClient(driver)
    await expect(client.queue('nope').send('x')).rejects.toMatchObject({
      code: 'QUEUE_NOT_FOUND',
      message: `[anyqueue] [local] queue "nope" does not exist in ${at}: create it with createQueue("nope"), or open the driver with createIfMissing: true`,
    })
    await expect(client.subscription('news', 'mail').receive({ waitSeconds: 0 })).rejects.toMatchObject({
      code: 'QUEUE_NOT_FOUND',
      message: expect.stringContaining('subscription "mail" of topic "news" does not exist'),
    })
    await client.createQueue('nope')
    await expect(client.queue('nope').send('x')).resolves.toHaveProperty('id')
    await client.close()
  })

  test('options are validated: lease and location', () => {
    expect(() => createLocalDriver({ location: '' })).toThrow(/location/)
    expect(() => createLocalDriver({ location: location(), leaseSeconds: 0 })).toThrow(/leaseSeconds/)
    expect(() => createLocalDriver({ location: location(), leaseSeconds: 1.5 })).toThrow(/leaseSeconds/)
  })
})
