import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
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

it('creates, reads, updates, lists, counts and deletes queues, topics, subscriptions and rules through ServiceBusAdministrationClient', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [script, emulator.adminApi!.connectionString, emulator.connectionString],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, NODE_EXTRA_CA_CERTS: emulator.tls!.certPath },
      timeout: 30_000,
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
