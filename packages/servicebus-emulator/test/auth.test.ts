import { createHmac } from 'node:crypto'
import { isServiceBusError, ServiceBusClient } from '@azure/service-bus'
import rhea from 'rhea'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_KEY, DEFAULT_KEY_NAME, tokenProblem } from '../src/auth.js'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// The key in the printed connection string is checked as Service Bus checks it, unless
// allowAnyKey (--allow-any-key) says any key will do.
let strict: ServiceBusEmulator
let lenient: ServiceBusEmulator
const config = { queues: [{ name: 'q' }] }

beforeAll(async () => {
  strict = await startEmulator({ config })
  lenient = await startEmulator({ config, allowAnyKey: true })
})
afterAll(async () => {
  await strict?.close()
  await lenient?.close()
})

const wrongKey = (emulator: ServiceBusEmulator) =>
  emulator.connectionString.replace(`SharedAccessKey=${DEFAULT_KEY}`, 'SharedAccessKey=not-the-key')

async function send(connectionString: string): Promise<unknown> {
  const client = new ServiceBusClient(connectionString, {
    retryOptions: { maxRetries: 0, timeoutInMs: 5_000 },
  })
  try {
    await client.createSender('q').sendMessages({ body: 'x' })
    return 'sent'
  } catch (error) {
    return isServiceBusError(error) ? error.code : error
  } finally {
    await client.close()
  }
}

function sign(audience: string, key: string, expiresAt: number, keyName = DEFAULT_KEY_NAME): string {
  const sr = encodeURIComponent(audience)
  const sig = createHmac('sha256', key).update(`${sr}\n${expiresAt}`).digest('base64')
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiresAt}&skn=${keyName}`
}

describe('credentials', () => {
  it('accepts the printed connection string and refuses another key with UnauthorizedAccess', async () => {
    expect(strict.connectionString).toContain(`SharedAccessKey=${DEFAULT_KEY}`)
    expect(await send(strict.connectionString)).toBe('sent')
    expect(await send(wrongKey(strict))).toBe('UnauthorizedAccess')
  })

  it('accepts any key with allowAnyKey', async () => {
    expect(await send(wrongKey(lenient))).toBe('sent')
  })

  it('checks signature, key name and expiry of a shared access signature', () => {
    const credentials = { keyName: DEFAULT_KEY_NAME, key: DEFAULT_KEY, allowAnyKey: false }
    const later = Math.floor(Date.now() / 1000) + 3600
    const audience = 'sb://127.0.0.1:5672/q'
    expect(tokenProblem(sign(audience, DEFAULT_KEY, later), credentials)).toBeUndefined()
    expect(tokenProblem(sign(audience, 'other', later), credentials)).toMatch(/^InvalidSignature/)
    expect(tokenProblem(sign(audience, DEFAULT_KEY, later, 'Other'), credentials)).toMatch(
      /names the key 'Other'/,
    )
    expect(tokenProblem(sign(audience, DEFAULT_KEY, later - 7200), credentials)).toMatch(/^ExpiredToken/)
    expect(tokenProblem('Bearer eyJ', credentials)).toMatch(/^InvalidToken/)
    expect(tokenProblem('Bearer eyJ', { ...credentials, allowAnyKey: true })).toBeUndefined()
  })

  it('checks SASL PLAIN logins against the key', async () => {
    const login = (emulator: ServiceBusEmulator, password: string) =>
      new Promise<string>((resolve) => {
        const container = rhea.create_container()
        container.on('error', () => {}) // a refused login is reported here too
        const connection = container.connect({
          port: emulator.port,
          host: '127.0.0.1',
          reconnect: false,
          username: DEFAULT_KEY_NAME,
          password,
        } as never)
        connection.once('connection_open', () => {
          connection.close()
          resolve('open')
        })
        connection.once('disconnected', () => resolve('refused'))
      })
    expect(await login(strict, DEFAULT_KEY)).toBe('open')
    expect(await login(strict, 'wrong')).toBe('refused')
    expect(await login(lenient, 'wrong')).toBe('open')
  })
})
