import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { decodeIncoming, encodeMessage } from './keys.js'

describe('stored messages', () => {
  test('decodeIncoming reads back what encodeMessage wrote: id, body, content type, time, attributes', () => {
    const attributes = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/), fc.string({ minLength: 1 }), {
      maxKeys: 8,
    })
    const contentType = fc.constantFrom(
      undefined,
      'application/json',
      'text/plain; charset=utf-8',
      'application/xml',
    )
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.string(),
        contentType,
        attributes,
        fc.nat(2 ** 45),
        (id, body, type, attrs, at) => {
          const value = encodeMessage(
            { body, contentType: type, attributes: attrs, bytes: 0, delaySeconds: 0 },
            id,
            at,
          )
          expect(decodeIncoming(value, 'lq1.q.1.1', 3)).toEqual({
            id,
            body,
            contentType: type,
            receiptHandle: 'lq1.q.1.1',
            attempt: 3,
            enqueuedAt: new Date(at),
            attributes: attrs,
          })
        },
      ),
      { seed: 15 },
    )
  })
})
