import { describe, expect, it } from 'vitest'
import { filterExpression, MAX_FILTER_BYTES } from '../src/pubsub-filter.js'

// Google's emulator ignores filter expressions, so the translation is pinned here, against the
// syntax Pub/Sub documents: `=`, `!=` (an absent attribute matches), `attributes:key`, `hasPrefix`.
describe('Pub/Sub filter expressions', () => {
  it('maps each portable operator', () => {
    expect(filterExpression({ color: { equals: ['red'] } })).toBe('attributes."color" = "red"')
    expect(filterExpression({ color: { equals: ['red', 'blue'] } })).toBe(
      '(attributes."color" = "red" OR attributes."color" = "blue")',
    )
    expect(filterExpression({ color: { notEquals: ['red', 'green'] } })).toBe(
      '(attributes."color" != "red" AND attributes."color" != "green")',
    )
    expect(filterExpression({ size: { exists: true }, color: { exists: false } })).toBe(
      'attributes:"size" AND NOT attributes:"color"',
    )
    expect(filterExpression({ 'event-type': { prefix: 'user.' } })).toBe(
      'hasPrefix(attributes."event-type", "user.")',
    )
  })

  it('quotes values, so a quote in a value cannot end the string', () => {
    expect(filterExpression({ a: { equals: ['say "hi"\\'] } })).toBe('attributes."a" = "say \\"hi\\"\\\\"')
  })

  it('is no filter at all when empty', () => {
    expect(filterExpression(undefined)).toBeUndefined()
    expect(filterExpression({})).toBeUndefined()
  })

  it(`refuses an expression over ${MAX_FILTER_BYTES} bytes, naming the limit`, () => {
    const values = Array.from({ length: 10 }, (_, i) => `value-${i}-${'x'.repeat(20)}`)
    expect(() => filterExpression({ color: { equals: values } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'filter', limit: MAX_FILTER_BYTES }),
    )
  })
})
