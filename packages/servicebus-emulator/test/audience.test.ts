import { createHmac } from 'node:crypto'
import { isServiceBusError, ServiceBusClient } from '@azure/service-bus'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { covers, DEFAULT_KEY, DEFAULT_KEY_NAME, tokenProblem } from '../src/auth.js'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// A token is valid for the entity its audience (`sr`) names and for everything under it, as on
// Service Bus: a namespace token opens every entity, a token for one queue opens no other.
let emulator: ServiceBusEmulator

beforeAll(async () => {
  emulator = await startEmulator({ config: { queues: [{ name: 'jsq' }, { name: 'otherq' }] } })
})
afterAll(() => emulator?.close())

const later = () => Math.floor(Date.now() / 1000) + 3600

function sign(audience: string, expiresAt = later(), key = DEFAULT_KEY): string {
  const sr = encodeURIComponent(audience)
  const sig = createHmac('sha256', key).update(`${sr}\n${expiresAt}`).digest('base64')
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(sig)}&se=${expiresAt}&skn=${DEFAULT_KEY_NAME}`
}

/** Sends to `queue` with a connection string that carries `token` instead of a key. */
async function sendWith(token: string, queue = 'jsq'): Promise<unknown> {
  const connectionString = `Endpoint=sb://${emulator.host}:${emulator.port};SharedAccessSignature=${token};UseDevelopmentEmulator=true`
  const client = new ServiceBusClient(connectionString, {
    retryOptions: { maxRetries: 0, timeoutInMs: 5_000 },
  })
  try {
    await client.createSender(queue).sendMessages({ body: 'x' })
    return 'sent'
  } catch (error) {
    return isServiceBusError(error) ? error.code : error
  } finally {
    await client.close()
  }
}

describe('token audience', () => {
  const base = () => `sb://${emulator.host}:${emulator.port}`

  it('accepts a token for the entity itself', async () => {
    expect(await sendWith(sign(`${base()}/jsq`))).toBe('sent')
  })

  it('refuses a token signed correctly for another entity', async () => {
    expect(await sendWith(sign(`${base()}/otherq`))).toBe('UnauthorizedAccess')
  })

  it('accepts a namespace token for every entity', async () => {
    expect(await sendWith(sign(`${base()}/`), 'jsq')).toBe('sent')
    expect(await sendWith(sign(base()), 'otherq')).toBe('sent')
  })

  it('compares entity paths segment by segment, ignoring case, scheme and host', () => {
    expect(covers('sb://h/Topic', 'sb://h/topic/subscriptions/s')).toBe(true)
    expect(covers('https://other:1/jsq', 'sb://h:5672/jsq/$management')).toBe(true)
    expect(covers('sb://h/js', 'sb://h/jsq')).toBe(false)
    expect(covers('sb://h/jsq/subscriptions', 'sb://h/jsq')).toBe(false)
    const credentials = { keyName: DEFAULT_KEY_NAME, key: DEFAULT_KEY, allowAnyKey: false }
    const other = sign('sb://h/otherq')
    expect(tokenProblem(other, credentials, Date.now(), 'sb://h/jsq')).toMatch(/^InvalidAudience: .*otherq/)
    expect(tokenProblem(other, credentials, Date.now(), 'sb://h/otherq')).toBeUndefined()
    // allowAnyKey accepts any token, for any entity.
    expect(
      tokenProblem(other, { ...credentials, allowAnyKey: true }, Date.now(), 'sb://h/jsq'),
    ).toBeUndefined()
  })
})
