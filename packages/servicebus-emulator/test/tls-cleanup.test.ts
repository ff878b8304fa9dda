import { existsSync } from 'node:fs'
import { dirname } from 'node:path'
import { expect, it } from 'vitest'
import { startEmulator } from '../src/index.js'

// The generated key and certificate live in a temporary directory that goes when the emulator
// closes (the CLI closes it on SIGINT and SIGTERM): nothing is left in /tmp.
it('removes the generated TLS key and certificate on close', async () => {
  const emulator = await startEmulator({ tls: true })
  const dir = dirname(emulator.tls!.certPath)
  expect(existsSync(`${dir}/key.pem`)).toBe(true)
  await emulator.close()
  expect(existsSync(dir)).toBe(false)
})
