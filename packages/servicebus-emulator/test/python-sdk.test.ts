import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// Microsoft's Python SDK (azure-servicebus 7.8 on uamqp, Debian's python3-azure), unpatched, runs
// test/python-sdk/client.py against the emulator: a third SDK family after the JS SDK and Proton.
// uamqp always dials AMQPS on port 5671 and cannot be given another port, so the emulator listens
// there on a loopback address of its own (127.0.0.x), which no other process on the machine uses.
const script = fileURLToPath(new URL('./python-sdk/client.py', import.meta.url))

function findPython(): string | undefined {
  for (const python of [process.env.AZURE_PYTHON, '/usr/bin/python3', 'python3'].filter(
    Boolean,
  ) as string[]) {
    try {
      execFileSync(python, ['-c', 'import azure.servicebus, uamqp'], { stdio: 'ignore' })
      return python
    } catch {}
  }
  return undefined
}
const python = findPython()
// CI installs python3-azure (.ci/run): there, a missing SDK is a failure, not a skip.
if (!python && process.env.CI)
  throw new Error('python3-azure is required in CI (apt-get install python3-azure)')

let emulator: ServiceBusEmulator
let host = ''
const survived: unknown[] = []

beforeAll(async () => {
  if (!python) return
  // Linux answers on all of 127/8; elsewhere (EADDRNOTAVAIL) only 127.0.0.1 is there to take.
  let onlyLocalhost = false
  for (let attempt = 0; attempt < 6; attempt++) {
    host = onlyLocalhost ? '127.0.0.1' : `127.0.0.${2 + Math.floor(Math.random() * 250)}`
    try {
      emulator = await startEmulator({
        host,
        tls: { port: 5671 },
        adminPort: 0,
        onError: (e) => survived.push(e),
        config: { queues: [{ name: 'otherq' }] },
      })
      return
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'EADDRNOTAVAIL' && !onlyLocalhost) onlyLocalhost = true
      else if (code !== 'EADDRINUSE') throw error
    }
  }
  throw new Error('port 5671 is taken on every loopback address tried')
})
afterAll(async () => {
  await emulator?.close()
})

interface Check {
  check: string
  ok: boolean
  error?: string
  trace?: string
}

it.skipIf(!python)(
  'Python SDK (uamqp): every check passes, unpatched, and the client never crashes',
  async () => {
    // The printed connection strings name `localhost`; this emulator listens on its own 127.0.0.x.
    const at = (connectionString: string) => connectionString.replace('localhost', host)
    const certPath = emulator.tls!.certPath
    const { code, signal, stdout, stderr } = await new Promise<{
      code: number | null
      signal: string | null
      stdout: string
      stderr: string
    }>((resolve) => {
      const child = execFile(
        python!,
        [script, at(emulator.tls!.connectionString), certPath, at(emulator.adminApi!.connectionString)],
        // The admin client (azure-core over requests) trusts the emulator's certificate through this.
        { env: { ...process.env, REQUESTS_CA_BUNDLE: certPath }, timeout: 240_000, maxBuffer: 1 << 24 },
        (_error, stdout, stderr) =>
          resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr }),
      )
    })
    const checks = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Check)
    const failed = checks.filter((c) => !c.ok)
    expect({ signal, code, failed }, stderr.slice(-2_000)).toEqual({ signal: null, code: 0, failed: [] })
    expect(checks.map((c) => c.check)).toEqual([
      'admin client: queues, topic, subscriptions, rules',
      'send, receive, complete',
      'abandon',
      'dead-letter',
      'defer',
      'peek and renew lock',
      'schedule and cancel',
      'sessions with state',
      'topic with rules',
      'wrong key refused twice',
      'expired token refused',
      'token for another entity refused',
      'namespace token accepted',
    ])
    expect(survived).toEqual([])
  },
  300_000,
)
