import { createSign, generateKeyPairSync } from 'node:crypto'
import { type Message, QueueClient } from '@anyqueue/queue-core'
import fc from 'fast-check'
import { OAuth2Client } from 'google-auth-library'
import { afterAll, describe, expect, test } from 'vitest'
import { createPubSubDriver, createPubSubPushHandler, type PubSubPushOptions } from '../src/index.js'
import { AttemptCounter } from '../src/push/attempts.js'

// The push handler's request handling, called directly: no call here reaches a backend (the driver
// connects lazily, and nothing is dead-lettered).
const client = new QueueClient(
  createPubSubDriver({ clientConfig: { projectId: 'unit', apiEndpoint: '127.0.0.1:9' } }),
)
const queue = client.queue<{ n: number }>('jobs')
afterAll(() => client.close())

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const KID = 'test-key'

/** Google's OAuth2Client verifying against our own key instead of Google's published certificates. */
class LocalCerts extends OAuth2Client {
  override async getFederatedSignonCertsAsync() {
    return {
      certs: { [KID]: publicKey.export({ type: 'spki', format: 'pem' }) as string },
      format: 'PEM',
    } as never
  }
}

function token(claims: Record<string, unknown>, key = privateKey): string {
  const now = Math.floor(Date.now() / 1000)
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const signed = `${part({ alg: 'RS256', typ: 'JWT', kid: KID })}.${part({ iat: now, exp: now + 600, ...claims })}`
  return `${signed}.${createSign('RSA-SHA256').update(signed).sign(key).toString('base64url')}`
}

const envelope = (data: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    message: {
      data: Buffer.from(JSON.stringify(data)).toString('base64'),
      attributes: { 'content-type': 'application/json', traceparent: 'x' },
      messageId: 'm-1',
      publishTime: '2026-12-07T20:13:55.749Z',
    },
    subscription: 'projects/p/subscriptions/s',
    ...extra,
  })

function post(body: string | Uint8Array, headers: Record<string, string> = {}): Request {
  return new Request('http://localhost/push', { method: 'POST', body, headers })
}

function handlerSeeing(seen: Message<{ n: number }>[], options: PubSubPushOptions<{ n: number }> = {}) {
  return createPubSubPushHandler(queue, (m) => void seen.push(m), options)
}

describe('the push envelope', () => {
  test('wrapped: data, attributes, id, publish time and deliveryAttempt become the Message', async () => {
    const seen: Message<{ n: number }>[] = []
    const response = await handlerSeeing(seen)(post(envelope({ n: 1 }, { deliveryAttempt: 4 })))
    expect(response.status).toBe(204)
    expect(seen[0]).toMatchObject({
      id: 'm-1',
      payload: { n: 1 },
      attempt: 4,
      attributes: { traceparent: 'x' },
      enqueuedAt: new Date('2026-12-07T20:13:55.749Z'),
    })
  })

  test('unwrapped (payload unwrapping with write metadata): the body is the data, metadata from headers', async () => {
    const seen: Message<{ n: number }>[] = []
    const response = await handlerSeeing(seen)(
      post('{"n":2}', {
        'content-type': 'application/json',
        'x-goog-pubsub-message-id': 'm-2',
        'x-goog-pubsub-publish-time': '2026-12-07T20:13:55.749Z',
      }),
    )
    expect(response.status).toBe(204)
    expect(seen[0]).toMatchObject({ id: 'm-2', payload: { n: 2 }, attempt: 1, attributes: {} })
  })

  test('a body that is no push envelope is nacked with 400; other methods get 405', async () => {
    const handler = handlerSeeing([])
    for (const body of [
      'not json',
      '{}',
      '{"message":{"data":"aGk="}}',
      '{"message":{"messageId":"1","data":5}}',
    ]) {
      expect((await handler(post(body))).status).toBe(400)
    }
    expect((await handler(new Request('http://localhost/push'))).status).toBe(405)
  })

  test('without deliveryAttempt, deliveries of one id are counted; a success forgets the count', async () => {
    const attempts: number[] = []
    const handler = createPubSubPushHandler(
      queue,
      (m) => {
        attempts.push(m.attempt)
        if (m.attempt < 3) throw new Error('again')
      },
      { backoff: () => 0 },
    )
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await handler(post(envelope({ n: 1 })))).status)
    expect(statuses).toEqual([500, 500, 204, 500])
    expect(attempts).toEqual([1, 2, 3, 1])
  })

  test('retry(delay) is a 503 with Retry-After', async () => {
    const handler = createPubSubPushHandler(queue, (_m, context) => context.retry({ delaySeconds: 30 }))
    const response = await handler(post(envelope({ n: 1 })))
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('30')
  })

  test('property: AttemptCounter counts per id, and forgets the oldest beyond its bound', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 60 }), (ids) => {
        const counter = new AttemptCounter(3)
        const model = new Map<string, number>()
        for (const id of ids) {
          const n = (model.get(id) ?? 0) + 1
          model.delete(id)
          model.set(id, n)
          if (model.size > 3) model.delete(model.keys().next().value!)
          expect(counter.next(id)).toBe(n)
        }
        expect(counter.size).toBe(model.size)
      }),
      { seed: 1207, numRuns: 300 },
    )
  })
})

describe('the push subscription’s OIDC token', () => {
  const auth = {
    audience: 'https://worker.example/push',
    email: 'pusher@p.iam.gserviceaccount.com',
    client: new LocalCerts(),
  }
  const good = {
    iss: 'https://accounts.google.com',
    aud: auth.audience,
    email: auth.email,
    email_verified: true,
  }
  const handler = createPubSubPushHandler(queue, () => {}, { auth })
  const bearer = (claims: Record<string, unknown>, key = privateKey) => ({
    authorization: `Bearer ${token(claims, key)}`,
  })

  test('a valid token for the audience and the verified service account is accepted', async () => {
    expect((await handler(post(envelope({ n: 1 }), bearer(good)))).status).toBe(204)
  })

  test('no token is 401; a wrong audience, issuer, email, unverified email or signature is 403', async () => {
    expect((await handler(post(envelope({ n: 1 })))).status).toBe(401)
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    for (const headers of [
      bearer({ ...good, aud: 'https://elsewhere.example' }),
      bearer({ ...good, iss: 'https://evil.example' }),
      bearer({ ...good, email: 'someone@else.example' }),
      bearer({ ...good, email_verified: false }),
      bearer(good, other),
      bearer({ ...good, exp: Math.floor(Date.now() / 1000) - 3600 }),
    ]) {
      const response = await handler(post(envelope({ n: 1 }), headers))
      expect(response.status).toBe(403)
      expect(await response.text()).not.toContain(headers.authorization.slice(7))
    }
  })
})
