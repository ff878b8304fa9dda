/**
 * Final deletion under SIGKILL (issue 27): a child creates and deletes queues, subscriptions and
 * topics with messages in them and kills itself at a seeded random database write (before, during
 * or after it). After each kill the store is
 * reopened: what a resolved deletion removed never comes back (not listed, not readable, and a
 * re-creation starts empty), and a deletion cut short was completed by the open — no message,
 * subscription record or deletion mark is left without its queue or topic.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, test } from 'vitest'
import { createLocalDriver, type LocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-deletion-kills-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const child = fileURLToPath(new URL('./fixtures/deleter.mjs', import.meta.url))
const KILLS = Number(process.env.DELETION_KILLS ?? 20)

/** A seeded generator: replay a failure with DELETION_SEED. */
function random(seed: number) {
  let state = seed >>> 0
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    return state / 2 ** 32
  }
}
const SEED = Number(process.env.DELETION_SEED ?? 20_261_207)

/** Runs the child until it kills itself at its `dieAt`-th database write; resolves with what it printed. */
function runUntilKilled(location: string, round: number, dieAt: number, how: string): Promise<string[]> {
  const proc = spawn(process.execPath, [child, location, String(round), String(dieAt), how], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  return new Promise((resolve, reject) => {
    proc.once('error', reject)
    proc.once('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended with ${code ?? signal}, not its SIGKILL`))
      else resolve(out.split('\n').filter((l) => l.startsWith('deleted')))
    })
  })
}

async function expectGone(driver: LocalDriver, queue: string) {
  await expect(driver.receiveBatch(queue, { maxMessages: 10, waitSeconds: 0 })).rejects.toMatchObject({
    code: 'QUEUE_NOT_FOUND',
  })
}

/** Every key of the store by kind, read raw: the invariants a completed deletion leaves. */
async function expectConsistent(driver: LocalDriver) {
  const keys = await driver.db.keys().all()
  const of = (kind: string) => keys.filter((k) => k.startsWith(`${kind}!`)).map((k) => k.slice(2))
  const queues = new Set(of('Q'))
  const topics = new Set(of('T'))
  expect(of('X'), 'deletion marks left after an open').toEqual([])
  for (const k of [...of('M'), ...of('S')]) {
    expect(queues.has(k.slice(0, k.lastIndexOf('!'))), `message ${k} without its queue`).toBe(true)
  }
  for (const record of of('U')) {
    const [topic, subscription] = record.split('!') as [string, string]
    expect(topics.has(topic), `subscription ${record} without its topic`).toBe(true)
    expect(queues.has(`${topic}/${subscription}`), `subscription ${record} without its queue`).toBe(true)
  }
  for (const queue of queues) {
    const slash = queue.indexOf('/')
    if (slash >= 0) expect(of('U')).toContain(`${queue.slice(0, slash)}!${queue.slice(slash + 1)}`)
  }
}

test(`deletions are final across ${KILLS} SIGKILLs at seeded random points (seed ${SEED})`, async () => {
  const next = random(SEED)
  const location = join(root, 'store')
  for (let round = 0; round < KILLS; round++) {
    // One iteration of the child is about 20 writes: this reaches every step of its first three.
    const dieAt = 1 + Math.floor(next() * 60)
    const how = (['before', 'during', 'after'] as const)[Math.floor(next() * 3)]!
    const deleted = await runUntilKilled(location, round, dieAt, how)
    const driver = createLocalDriver({ location, leaseSeconds: 60 })
    await driver.listQueues() // opens, completing what the kill cut short
    await expectConsistent(driver)
    const listed = new Set(await driver.listQueues())
    for (const line of deleted) {
      const [, kind, name] = line.split(' ') as [string, string, string]
      if (kind === 'queue') {
        expect(listed.has(name), `deleted queue ${name} is back`).toBe(false)
        await expectGone(driver, name)
        await driver.createQueue(name)
        expect(await driver.receiveBatch(name, { maxMessages: 10, waitSeconds: 0 })).toEqual([])
        await driver.deleteQueue(name)
      } else if (kind === 'subscription') {
        await expectGone(driver, name)
        const [topic, subscription] = name.split('/') as [string, string]
        const existed = await driver.topics.publishBatch(topic, []).then(
          () => true,
          () => false,
        )
        await driver.topics.createTopic(topic)
        await driver.topics.createSubscription(topic, subscription, undefined)
        expect(await driver.receiveBatch(name, { maxMessages: 10, waitSeconds: 0 })).toEqual([])
        await driver.topics.deleteSubscription(topic, subscription)
        if (!existed) await driver.topics.deleteTopic(topic)
      } else {
        await expect(driver.topics.publishBatch(name, [])).rejects.toMatchObject({ code: 'QUEUE_NOT_FOUND' })
        await expectGone(driver, `${name}/a`)
        await expectGone(driver, `${name}/b`)
        await driver.topics.createTopic(name)
        await driver.topics.createSubscription(name, 'b', undefined)
        expect(await driver.receiveBatch(`${name}/b`, { maxMessages: 10, waitSeconds: 0 })).toEqual([])
        await driver.topics.deleteTopic(name)
      }
    }
    await driver.close()
  }
}, 600_000)
