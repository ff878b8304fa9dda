import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createSqsDriver } from '../src/index.js'
import { bytesFromBase64, fromBase64, needsTransferEncoding, toBase64 } from '../src/sqs-body.js'
import { classifySqsError } from '../src/sqs-errors.js'

const aws = (name: string, status: number, fault: 'client' | 'server' = status < 500 ? 'client' : 'server') =>
  Object.assign(new Error(`${name} happened`), { name, $fault: fault, $metadata: { httpStatusCode: status } })

describe('error classification', () => {
  test.each([
    ['QueueDoesNotExist', 400, 'QUEUE_NOT_FOUND', false],
    ['AWS.SimpleQueueService.NonExistentQueue', 400, 'QUEUE_NOT_FOUND', false],
    ['AccessDenied', 403, 'PERMISSION_DENIED', false],
    ['InvalidClientTokenId', 403, 'PERMISSION_DENIED', false],
    ['ThrottlingException', 400, 'UNAVAILABLE', true],
    ['OverLimit', 403, 'UNAVAILABLE', true],
    ['InternalError', 500, 'UNAVAILABLE', true],
    ['InvalidParameterValue', 400, 'INVALID_ARGUMENT', false],
  ])('%s (%i) → %s, retryable %s', (name, status, code, retryable) => {
    const error = classifySqsError(aws(name, status))
    expect(error).toMatchObject({ code, retryable, driver: 'sqs' })
    expect(error?.cause).toBeInstanceOf(Error)
  })

  test('connection failures are UNAVAILABLE and retryable', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    expect(classifySqsError(reset)).toMatchObject({ code: 'UNAVAILABLE', retryable: true })
  })

  test('anything else is a bug, not a backend condition', () => {
    expect(classifySqsError(new TypeError('x is undefined'))).toBeUndefined()
  })
})

describe('bodies SQS cannot carry', () => {
  test.each([
    ['NUL', 'a\u0000b', true],
    ['another C0 control', 'a\u0007b', true],
    ['U+FFFF', 'a\uffffb', true],
    ['tab, newline, carriage return', 'a\t\n\rb', false],
    ['astral characters', '🎉👩🏽‍💻', false],
    ['plain JSON', '{"a":1}', false],
  ])('%s → base64: %s', (_, body, encoded) => {
    expect(needsTransferEncoding(body)).toBe(encoded)
    expect(fromBase64(toBase64(body))).toBe(body)
  })
})

describe('options', () => {
  test('the prefix is validated and applied to the SQS name', () => {
    expect(createSqsDriver({ prefix: 'prod-' }).backendName('orders')).toBe('prod-orders')
    expect(() => createSqsDriver({ prefix: 'has.dot' })).toThrow(/prefix/)
    expect(() => createSqsDriver({ prefix: 'x'.repeat(17) })).toThrow(/prefix/)
  })

  test('the lease is validated', () => {
    expect(() => createSqsDriver({ leaseSeconds: 0 })).toThrow(/leaseSeconds/)
    expect(createSqsDriver({ leaseSeconds: 5 }).leaseSeconds).toBe(5)
  })

  test('receipt handles are checked for shape only', () => {
    const driver = createSqsDriver()
    expect(driver.isReceiptHandle('a'.repeat(185))).toBe(true)
    expect(driver.isReceiptHandle('AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a+base64/handle==')).toBe(true)
    expect(driver.isReceiptHandle('garbage')).toBe(false)
    expect(driver.isReceiptHandle(`${'a'.repeat(40)} space`)).toBe(false)
  })
})

describe('a body marked content-transfer-encoding: base64 by another producer', () => {
  test('property: canonical base64 of any bytes decodes to exactly those bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(Buffer.from(bytesFromBase64(Buffer.from(bytes).toString('base64'))!)).toEqual(
          Buffer.from(bytes),
        )
      }),
      { seed: 20261123, numRuns: 500 },
    )
  })

  test('property: a string that is not canonical base64 is refused, never decoded into garbage', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (text) => {
        const canonical = Buffer.from(Buffer.from(text, 'base64').toString('base64'))
        fc.pre(canonical.toString() !== text)
        expect(bytesFromBase64(text)).toBeUndefined()
      }),
      { seed: 20261123, numRuns: 500 },
    )
  })
})
