import { execFile } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { DEFAULT_KEY, DEFAULT_KEY_NAME } from '../src/auth.js'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// ServiceBusAdministrationClient against the management API. The JS SDK only dials HTTPS, so the
// emulator serves it with its TLS certificate, which the child process trusts.
const script = fileURLToPath(new URL('./fixtures/admin-client.mjs', import.meta.url))
let emulator: ServiceBusEmulator
let plain: ServiceBusEmulator

beforeAll(async () => {
  emulator = await startEmulator({ tls: true, adminPort: 0 })
  plain = await startEmulator({ adminPort: 0 })
})
afterAll(async () => {
  await emulator?.close()
  await plain?.close()
})

it('creates, reads, updates, lists, counts and deletes queues, topics, subscriptions and rules through ServiceBusAdministrationClient', {
  timeout: 180_000,
}, async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [script, emulator.adminApi!.connectionString, emulator.connectionString],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.tls!.certPath },
      timeout: 150_000,
    },
  )
  expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
    created: { name: 'made', lockDuration: 'PT30S', maxDeliveryCount: 7 },
    duplicate: 'MessageEntityAlreadyExistsError',
    exists: [true, false],
    missing: 'MessageEntityNotFoundError',
    updated: 9,
    listed: ['made'],
    runtime: { active: 3, scheduled: 1, total: 4 },
    afterDelete: false,
    deleteMissing: 'MessageEntityNotFoundError',
    topicDuplicate: 'MessageEntityAlreadyExistsError',
    subscription: { topic: 'events', name: 'audit', lockDuration: 'PT10S', maxDeliveryCount: 4 },
    subscriptionMissing: 'MessageEntityNotFoundError',
    topicsListed: ['events'],
    subscriptionsListed: ['audit'],
    topicExists: [true, true],
    subscriptionRuntime: 1,
    topicRuntime: 1,
    defaultRules: ['$Default'],
    ruleDuplicate: 'MessageEntityAlreadyExistsError',
    badRule: 'ServiceError',
    rules: {
      names: ['eu', 'vip'],
      eu: ["region = 'eu'", 'SET routed = 1'],
      vip: ['vip', { tier: 'gold', n: 2, on: true }],
      exists: [true, false],
    },
    routed: ['fan-out', 'eu', 'gold'],
    subscriptionAfterDelete: false,
    topicAfterDelete: false,
  })
})

it('answers GET /health, over plain HTTP when there is no certificate, and checks the key', async () => {
  const base = `http://127.0.0.1:${plain.adminApi!.port}`
  expect(plain.adminApi!.connectionString).toContain('UseDevelopmentEmulator=true')
  const health = await fetch(`${base}/health`)
  expect(health.status).toBe(200)
  const unsigned = await fetch(`${base}/orders?api-version=2021-05`)
  expect(unsigned.status).toBe(401)
})

it('answers any description with 201 or 400, never a server error (fast-check)', async () => {
  const base = `http://127.0.0.1:${plain.adminApi!.port}`
  const sign = (audience: string) => {
    const sr = encodeURIComponent(audience)
    const se = Math.floor(Date.now() / 1000) + 3600
    const sig = createHmac('sha256', DEFAULT_KEY).update(`${sr}\n${se}`).digest('base64')
    return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=${DEFAULT_KEY_NAME}`
  }
  const field = fc.constantFrom(
    'LockDuration',
    'MaxDeliveryCount',
    'DefaultMessageTimeToLive',
    'RequiresSession',
    'ForwardTo',
    'DuplicateDetectionHistoryTimeWindow',
  )
  const value = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('PT30S', 'PT1S', 'P1D', '-3', '7', 'true'),
  )
  let n = 0
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(field, value), { maxLength: 4 }), async (fields) => {
      const xml = fields.map(([k, v]) => `<${k}>${v.replace(/[<&]/g, '')}</${k}>`).join('')
      const body = `<entry xmlns="http://www.w3.org/2005/Atom"><content type="application/xml"><QueueDescription>${xml}</QueueDescription></content></entry>`
      const name = `fuzz-${n++}`
      const response = await fetch(`${base}/${name}?api-version=2021-05`, {
        method: 'PUT',
        body,
        headers: { authorization: sign(`${base}/${name}`) },
      })
      expect([201, 400]).toContain(response.status)
    }),
    { seed: 20261123, numRuns: 60 },
  )
})
