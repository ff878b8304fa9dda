import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  evaluate,
  parseAction,
  parseFilter,
  type SqlContext,
  SqlError,
  test,
  type Value,
} from '../src/sql.js'

// The SQL filter grammar Service Bus publishes, checked against its documented examples and, with
// fast-check (seeded), against JavaScript's own arithmetic and comparisons.
function ctx(user: Record<string, Value>, sys: Record<string, Value> = {}): SqlContext {
  return {
    sys: (name) => sys[name.toLowerCase()],
    user: (name) => user[name],
    hasUser: (name) => name in user,
  }
}
const match = (filter: string, user: Record<string, Value> = {}, sys: Record<string, Value> = {}) =>
  test(parseFilter(filter), ctx(user, sys))

describe('SQL filters', () => {
  it('evaluates the documented examples', () => {
    const order = { color: 'blue', quantity: 12, StoreId: 'Store1', MessageNumber: 11 }
    expect(match("color = 'blue' AND quantity > 10", order)).toBe(true)
    expect(match("color = 'red' OR quantity < 5", order)).toBe(false)
    expect(match('MessageNumber % 2 = 1', order)).toBe(true)
    expect(match("StoreId IN ('Store1', 'Store2', 'Store3')", order)).toBe(true)
    expect(match("StoreId NOT IN ('Store1')", order)).toBe(false)
    expect(match("sys.Label = 'important'", {}, { label: 'important' })).toBe(true)
    expect(match("sys.To LIKE 'orders/%'", {}, { to: 'orders/eu' })).toBe(true)
    expect(match("color LIKE 'b_u%'", order)).toBe(true)
    expect(match("color LIKE 'b!%' ESCAPE '!'", { color: 'b%' })).toBe(true)
    expect(match("color LIKE 'b!%' ESCAPE '!'", order)).toBe(false)
    expect(match('EXISTS (quantity) AND NOT EXISTS (missing)', order)).toBe(true)
    expect(match('missing IS NULL AND color IS NOT NULL', order)).toBe(true)
    expect(match('(quantity + 3) * 2 = 30', order)).toBe(true)
    expect(match('(quantity > 10 OR color = 1) AND [StoreId] = user.StoreId', order)).toBe(true)
    expect(match('1=1')).toBe(true)
    expect(match('1=0')).toBe(false)
    expect(match('TRUE')).toBe(true)
  })

  it('treats missing properties as unknown: neither the comparison nor its negation matches', () => {
    expect(match('missing = 1')).toBe(null)
    expect(match('NOT (missing = 1)')).toBe(null)
    expect(match('missing = 1 OR 1 = 1')).toBe(true)
    expect(match('missing = 1 AND 1 = 0')).toBe(false)
    expect(match("quantity = 'twelve'", { quantity: 12 })).toBe(null)
  })

  it('parses actions: SET and REMOVE, with expressions', () => {
    const statements = parseAction("SET quantity = quantity * 2; SET sys.Label = 'x'; REMOVE color")
    expect(statements.map((s) => [s.kind, s.property.scope, s.property.name])).toEqual([
      ['set', 'user', 'quantity'],
      ['set', 'sys', 'Label'],
      ['remove', 'user', 'color'],
    ])
    const first = statements[0]!
    expect(first.kind === 'set' && evaluate(first.value, ctx({ quantity: 4 }))).toBe(8)
  })

  it('refuses malformed filters with a SqlError that says where', () => {
    for (const bad of [
      "color = 'blue",
      'quantity >',
      'a IN ()',
      'NOT',
      '(a = 1',
      'a = 1 b',
      'f(1)',
      'a LIKE 5',
    ]) {
      expect(() => parseFilter(bad), bad).toThrow(SqlError)
    }
    expect(() => parseFilter('a = 1 b')).toThrow(/position 6/)
    expect(() => parseAction('DROP a')).toThrow(SqlError)
  })

  it('agrees with JavaScript on integer arithmetic and comparisons', () => {
    const ops = ['=', '<>', '>', '>=', '<', '<='] as const
    const js = {
      '=': (a: number, b: number) => a === b,
      '<>': (a: number, b: number) => a !== b,
      '>': (a: number, b: number) => a > b,
      '>=': (a: number, b: number) => a >= b,
      '<': (a: number, b: number) => a < b,
      '<=': (a: number, b: number) => a <= b,
    }
    fc.assert(
      fc.property(
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.constantFrom(...ops),
        (a, b, op) => {
          expect(match(`x ${op} ${b}`, { x: a })).toBe(js[op](a, b))
          expect(match(`x + ${b} - ${b} * 2 = ${a - b}`, { x: a })).toBe(true)
        },
      ),
      { seed: 20261123, numRuns: 300 },
    )
  })

  it('LIKE treats every character but % and _ literally', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const literal = s.replaceAll("'", "''").replace(/[%_!]/g, (c) => `!${c}`)
        expect(match(`v LIKE '${literal}' ESCAPE '!'`, { v: s })).toBe(true)
        expect(match(`v LIKE '${literal}x' ESCAPE '!'`, { v: s })).toBe(false)
      }),
      { seed: 20261123, numRuns: 300 },
    )
  })

  it('never fails on arbitrary input with anything but a SqlError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          parseFilter(text)
        } catch (error) {
          expect(error).toBeInstanceOf(SqlError)
        }
      }),
      { seed: 20261123, numRuns: 500 },
    )
  })
})
