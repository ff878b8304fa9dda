import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { mapBody, propertyString } from '../src/servicebus-body.js'

const seeded = { seed: 20261123, numRuns: 500 }

describe('what a received Service Bus body becomes', () => {
  test('property: a value section holding a JSON value arrives as that value — text for a string', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const mapped = mapBody(value, 'value')
        expect(mapped.undecodable).toBeUndefined()
        if (typeof value === 'string') {
          expect(mapped.body).toBe(value)
          expect(mapped.contentType).toBeUndefined()
        } else {
          expect(mapped.contentType).toBe('application/json')
          // -0 is the one value JSON itself cannot tell apart (0), as for anyqueue's own sends.
          expect(JSON.parse(mapped.body as string)).toEqual(JSON.parse(JSON.stringify(value)))
        }
      }),
      seeded,
    )
  })

  test('property: any value holding a Date, binary or a non-finite number is undecodable, named, never altered', () => {
    const poison = fc.oneof(
      fc.date({ noInvalidDate: true }),
      fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    )
    fc.assert(
      fc.property(fc.jsonValue(), poison, fc.constantFrom('value', 'sequence'), (value, bad, bodyType) => {
        const body = [value, { bad }]
        const mapped = mapBody(body, bodyType)
        expect(mapped.undecodable).toMatch(
          /^holds .* at the (value|sequence) section\[1\]\.bad, which JSON cannot hold$/,
        )
        // The raw body is the value with the poison tagged: the rest is still there, as it was.
        const raw = JSON.parse(mapped.body as string)
        expect(raw[0]).toEqual(JSON.parse(JSON.stringify(value)))
        expect(Object.keys(raw[1].bad)[0]).toMatch(/^\$(date|binary|number)$/)
      }),
      seeded,
    )
  })

  test('a data section is its bytes, unparsed, even when they look like JSON', () => {
    const bytes = Buffer.from('"quoted"')
    expect(mapBody(bytes, 'data')).toEqual({ body: bytes })
  })
})

describe('application properties map to strings by the rule', () => {
  test('property: numbers in decimal, booleans, strings unchanged; nothing becomes undefined', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true }), fc.integer(), fc.boolean(), fc.string()), (value) => {
        expect(propertyString(value)).toBe(String(value))
      }),
      seeded,
    )
  })

  test('timestamps ISO 8601, binary base64, null empty', () => {
    expect(propertyString(new Date(0))).toBe('1970-01-01T00:00:00.000Z')
    expect(propertyString(Buffer.from([0, 255]))).toBe('AP8=')
    expect(propertyString(null)).toBe('')
  })
})
