import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// AMQPS for SDKs that always dial TLS: the official SDK, given a connection string without
// UseDevelopmentEmulator, trusting only the emulator's generated certificate.
const script = fileURLToPath(new URL('./fixtures/sdk-roundtrip.mjs', import.meta.url))
let emulator: ServiceBusEmulator

beforeAll(async () => {
  emulator = await startEmulator({ tls: true, config: { queues: [{ name: 'secure' }] } })
})
afterAll(async () => {
  await emulator?.close()
})

async function roundTrip(env: NodeJS.ProcessEnv): Promise<{ body?: string; error?: string }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [script, emulator.tls!.connectionString, 'secure'],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, ...env },
      timeout: 30_000,
    },
  )
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

it('serves AMQPS with a generated self-signed certificate the client can trust', async () => {
  const tls = emulator.tls!
  expect(tls.port).not.toBe(emulator.port)
  expect(tls.connectionString).not.toContain('UseDevelopmentEmulator')
  expect(await readFile(tls.certPath, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/)
  expect(await roundTrip({ NODE_EXTRA_CA_CERTS: tls.certPath })).toEqual({ body: 'over tls' })
})

it('is a real TLS listener: a client that does not trust the certificate is refused', async () => {
  const out = await roundTrip({ NODE_EXTRA_CA_CERTS: '' })
  expect(out.body).toBeUndefined()
  expect(out.error).toMatch(/SELF_SIGNED|certificate/i)
})
