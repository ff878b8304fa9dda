import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isQueueError, openQueueClient } from '@anyqueue/queue-core'
import { startEmulator } from '@anyqueue/servicebus-emulator'
import { expect, it } from 'vitest'
import '../src/index.js'

// Service Bus by URL, as the README tells it: start `servicebus-emulator --tls --admin-port 0`, take
// the `servicebus://` URL and the NODE_EXTRA_CA_CERTS it prints, and open it in an app (a child
// process, so the environment variable applies) with createIfMissing: send, receive, ack.
const BIN = join(
  dirname(createRequire(import.meta.url).resolve('@anyqueue/servicebus-emulator/package.json')),
  'bin/servicebus-emulator.js',
)
const APP = fileURLToPath(new URL('./by-url.fixture.mjs', import.meta.url))

it('the URL the emulator prints opens a queue client that creates its queue, in one step', async () => {
  const child = spawn(
    process.execPath,
    [BIN, '--port', '0', '--tls', '--tls-port', '0', '--admin-port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    const banner = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        if (/NODE_EXTRA_CA_CERTS=\S+/.test(stdout)) resolve(stdout)
      })
      void exited.then(() => reject(new Error(`exited early: ${stdout}`)))
    })
    const url = /^servicebus url: (servicebus:\/\/\S+)$/m.exec(banner)?.[1]
    const certPath = /NODE_EXTRA_CA_CERTS=(\S+)/.exec(banner)?.[1]
    expect(url).toMatch(/&adminConnectionString=.+&createIfMissing=true$/)
    const { stdout: out } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        [APP, url!],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: certPath }, timeout: 60_000 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout }),
      ),
    )
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({ received: [{ order: 1 }], acked: true })
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    // The generated key and certificate go with the emulator.
    expect(existsSync(dirname(certPath!))).toBe(false)
  } finally {
    child.kill('SIGTERM')
  }
}, 90_000)

it('an emulator URL without an admin endpoint fails at once, naming adminConnectionString and --admin-port', async () => {
  const emulator = await startEmulator({ port: 0 })
  try {
    const client = await openQueueClient(
      `servicebus://?connectionString=${encodeURIComponent(emulator.connectionString)}&createIfMissing=true`,
    )
    const started = performance.now()
    const error = await client
      .queue('first-use')
      .send({ x: 1 })
      .catch((e: unknown) => e)
    const elapsed = performance.now() - started
    await client.close()
    expect(isQueueError(error, 'NOT_SUPPORTED')).toBe(true)
    expect((error as { field?: string }).field).toBe('adminConnectionString')
    expect((error as Error).message).toMatch(/--admin-port.*adminConnectionString/)
    // Not the SDK's minutes-long HTTPS attempt on the AMQP port: no network call is made at all.
    expect(elapsed).toBeLessThan(10_000)
  } finally {
    await emulator.close()
  }
})
