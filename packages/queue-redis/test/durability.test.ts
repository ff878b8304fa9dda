/**
 * Durability under `appendfsync always`: a `redis-server` SIGKILLed mid-consume and restarted on its
 * data keeps every message sent and not acknowledged, and nothing acknowledged comes back. Needs
 * `redis-server` on PATH (the server is killed, so `REDIS_URL` cannot stand in); with CI=true a
 * missing one fails.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inCI, startRedisServer, which } from '@anyqueue/conformance/backends'
import type { OutgoingMessage } from '@anyqueue/queue-core/driver'
import { describe, expect, test } from 'vitest'
import { createRedisDriver } from '../src/index.js'

const installed = await which('redis-server').then(
  () => true,
  () => false,
)
if (!installed && inCI()) throw new Error('redis-server is not on PATH: CI installs it (apt redis-server)')

const text = (body: string): OutgoingMessage => ({
  body,
  contentType: 'text/plain; charset=utf-8',
  bytes: body.length,
  delaySeconds: 0,
  attributes: {},
})

/** Retries `call` until it succeeds (the server is restarting), within a generous deadline. */
async function eventually<T>(call: () => Promise<T>, deadlineMs = 60_000): Promise<T> {
  const end = Date.now() + deadlineMs
  for (;;) {
    try {
      return await call()
    } catch (error) {
      if (Date.now() > end) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

describe.skipIf(!installed)('durability under appendfsync always', () => {
  test('SIGKILL mid-consume and restart: nothing sent is lost, nothing acked comes back', {
    timeout: 180_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anyqueue-redis-kill-'))
    const aof = ['--appendonly', 'yes', '--appendfsync', 'always']
    let server = await startRedisServer({ dir, args: aof })
    const driver = createRedisDriver({ url: `redis://127.0.0.1:${server.port}`, leaseSeconds: 1 })
    try {
      await driver.createQueue('jobs')
      const sent: string[] = []
      for (let batch = 0; batch < 20; batch++) {
        const bodies = Array.from({ length: 10 }, (_, i) => `m${batch * 10 + i}`)
        const results = await driver.sendBatch('jobs', bodies.map(text))
        sent.push(...results.map((r) => (r as { id: string }).id))
      }
      const acked = new Set<string>()
      while (acked.size < 100) {
        const got = await driver.receiveBatch('jobs', { maxMessages: 10, waitSeconds: 1 })
        await driver.ackBatch(
          'jobs',
          got.map((m) => m.receiptHandle),
        )
        for (const m of got) acked.add(m.id)
      }
      // Mid-consume: ten messages leased and never settled when the server dies.
      const leased = await driver.receiveBatch('jobs', { maxMessages: 10, waitSeconds: 1 })
      expect(leased).toHaveLength(10)
      process.kill(server.pid, 'SIGKILL')
      await server.stop()
      server = await startRedisServer({ dir, port: server.port, args: aof })

      const after = new Set<string>()
      await eventually(async () => {
        for (;;) {
          const got = await driver.receiveBatch('jobs', { maxMessages: 10, waitSeconds: 2 })
          if (got.length === 0 && after.size >= sent.length - acked.size) return
          if (got.length === 0) throw new Error(`only ${after.size} back so far`)
          await driver.ackBatch(
            'jobs',
            got.map((m) => m.receiptHandle),
          )
          for (const m of got) after.add(m.id)
        }
      })
      expect([...after].filter((id) => acked.has(id))).toEqual([])
      expect([...after].sort()).toEqual(sent.filter((id) => !acked.has(id)).sort())
    } finally {
      await driver.close()
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
