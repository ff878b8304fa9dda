import { expect, test } from 'vitest'
import type { StoredBody } from '../src/amqp.js'
import { applyRules, compileRule } from '../src/rules.js'

// Found by the conformance case topics.filter-exact-values: `EXISTS(toString)` was true for every
// message, because the property lookup (`name in props`) saw Object.prototype's members.
const body = (applicationProperties: Record<string, unknown>) =>
  ({ applicationProperties, decoded: {} }) as unknown as StoredBody
const matches = (expression: string, properties: Record<string, unknown>) =>
  applyRules([compileRule({ type: 'sql', expression } as never, 'r')], body(properties)) !== undefined

test('SQL filters read a message’s own properties, never ones it inherits', () => {
  expect(matches('NOT EXISTS(toString)', {})).toBe(true)
  expect(matches('EXISTS(toString)', {})).toBe(false)
  expect(matches('EXISTS(constructor)', { code: 'ab' })).toBe(false)
  expect(matches('constructor IS NULL', {})).toBe(true)
  expect(matches('EXISTS(toString)', { toString: 'x' })).toBe(true)
  expect(matches("toString = 'x'", { toString: 'x' })).toBe(true)
})
