import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// A topic keeps the settings it was created or updated with and reports them; its duplicate
// detection and time to live apply to what it fans out; runtime counts and sizes are the real ones.
const script = fileURLToPath(new URL('./fixtures/topic-settings.mjs', import.meta.url))
let emulator: ServiceBusEmulator

beforeAll(async () => {
  emulator = await startEmulator({ tls: true, adminPort: 0 })
})
afterAll(() => emulator?.close())

it('reports topic settings as created and updated, and topic, subscription and queue counts and sizes', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [script, emulator.adminApi!.connectionString, emulator.connectionString],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.tls!.certPath },
      timeout: 60_000,
    },
  )
  const created = { ttl: 'PT1H', dedup: true, window: 'PT2M', maxSize: 2048 }
  expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
    created,
    read: created,
    updated: { ...created, ttl: 'PT30M', maxSize: 4096 },
    reread: { ...created, ttl: 'PT30M', maxSize: 4096 },
    // The second send with the same message id is a duplicate at the topic; the scheduled one is one
    // message at the topic, though both subscriptions hold a copy.
    topicCounts: { scheduled: 1, sized: true },
    subscriptionCounts: { active: 1, total: 2 },
    queueSize: { full: true, empty: 0 },
  })
}, 90_000)
