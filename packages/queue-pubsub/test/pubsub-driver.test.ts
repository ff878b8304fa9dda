import { describe, expect, test } from 'vitest'
import { createPubSubDriver } from '../src/index.js'
import { classifyPubSubError } from '../src/pubsub-errors.js'

const grpc = (code: number) => Object.assign(new Error(`grpc ${code}`), { code, details: `status ${code}` })

describe('error classification', () => {
  test.each([
    [5, 'QUEUE_NOT_FOUND', false],
    [7, 'PERMISSION_DENIED', false],
    [16, 'PERMISSION_DENIED', false],
    [3, 'INVALID_ARGUMENT', false],
    [14, 'UNAVAILABLE', true],
    [4, 'UNAVAILABLE', true],
    [8, 'UNAVAILABLE', true],
    [13, 'UNAVAILABLE', true],
  ])('gRPC %i → %s, retryable %s', (code, expected, retryable) => {
    expect(classifyPubSubError(grpc(code))).toMatchObject({ code: expected, retryable, driver: 'pubsub' })
  })

  test('errors without a gRPC status are bugs', () => {
    expect(classifyPubSubError(new TypeError('x'))).toBeUndefined()
  })
})

describe('names and options', () => {
  test('every portable name maps to a valid, distinct Pub/Sub id behind the prefix', () => {
    const driver = createPubSubDriver({ clientConfig: { projectId: 'p' } })
    expect(driver.backendName('7')).toBe('aq-7') // Pub/Sub ids must start with a letter and have 3+ characters
    expect(driver.backendName('a'.repeat(64))).toHaveLength(67)
    expect(createPubSubDriver({ prefix: 'prod-' }).backendName('orders')).toBe('prod-orders')
  })

  test.each(['1abc', 'goog-x', '', 'has.dot', 'x'.repeat(25)])('prefix %j is rejected', (prefix) => {
    expect(() => createPubSubDriver({ prefix })).toThrow(/prefix/)
  })

  test('the lease must be within Pub/Sub’s ack deadline bounds', () => {
    expect(() => createPubSubDriver({ leaseSeconds: 9 })).toThrow(/leaseSeconds/)
    expect(() => createPubSubDriver({ leaseSeconds: 601 })).toThrow(/leaseSeconds/)
    expect(createPubSubDriver({ leaseSeconds: 10 }).leaseSeconds).toBe(10)
  })

  test('receipt handles carry the driver prefix', () => {
    const driver = createPubSubDriver()
    expect(driver.isReceiptHandle('ps1.projects/p/subscriptions/s:1')).toBe(true)
    expect(driver.isReceiptHandle('garbage')).toBe(false)
    expect(driver.isReceiptHandle('ps1.')).toBe(false)
  })
})
