import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { QueueClient } from '../src/client.js'
import { checkFilter, FILTER_OPERATORS, matchesFilter, type SubscriptionFilter } from '../src/filter.js'
import { FakeDriver } from './fake-driver.js'

const SEED = Number(process.env.FC_SEED ?? 20261123)
const ALL = FILTER_OPERATORS

const name = fc.constantFrom('a', 'b', 'c')
const value = fc.constantFrom('x', 'xy', 'y', 'yx')
const attributes = fc.dictionary(name, value, { maxKeys: 3 })
const values = fc.uniqueArray(value, { minLength: 1, maxLength: 3 })

describe('matchesFilter: the portable meaning', () => {
  it('notEquals is exactly not equals: an absent attribute matches it', () => {
    fc.assert(
      fc.property(name, values, attributes, (n, vs, attrs) => {
        expect(matchesFilter({ [n]: { notEquals: vs } }, attrs)).toBe(
          !matchesFilter({ [n]: { equals: vs } }, attrs),
        )
        if (!(n in attrs)) expect(matchesFilter({ [n]: { notEquals: vs } }, attrs)).toBe(true)
      }),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('exists: false is exactly not exists: true; prefix and equals need the attribute', () => {
    fc.assert(
      fc.property(name, value, attributes, (n, v, attrs) => {
        const present = n in attrs
        expect(matchesFilter({ [n]: { exists: true } }, attrs)).toBe(present)
        expect(matchesFilter({ [n]: { exists: false } }, attrs)).toBe(!present)
        expect(matchesFilter({ [n]: { prefix: v } }, attrs)).toBe(present && attrs[n]!.startsWith(v))
        expect(matchesFilter({ [n]: { equals: [v] } }, attrs)).toBe(attrs[n] === v)
      }),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('conditions on different attributes combine with AND', () => {
    fc.assert(
      fc.property(values, value, attributes, (vs, v, attrs) => {
        const a: SubscriptionFilter = { a: { equals: vs } }
        const b: SubscriptionFilter = { b: { prefix: v } }
        expect(matchesFilter({ ...a, ...b }, attrs)).toBe(matchesFilter(a, attrs) && matchesFilter(b, attrs))
      }),
      { seed: SEED, numRuns: 300 },
    )
  })

  it('no filter, or an empty one, matches everything', () => {
    expect(matchesFilter(undefined, {})).toBe(true)
    expect(matchesFilter({}, { a: 'x' })).toBe(true)
  })
})

describe('checkFilter', () => {
  it.each([
    [null, 'filter'],
    [[], 'filter'],
    [{ 'bad name': { equals: ['x'] } }, 'filter.bad name'],
    [{ a: 'x' }, 'filter.a'],
    [{ a: {} }, 'filter.a'],
    [{ a: { equals: ['x'], prefix: 'x' } }, 'filter.a'],
    [{ a: { below: 3 } }, 'filter.a'],
    [{ a: { equals: [] } }, 'filter.a.equals'],
    [{ a: { equals: 'x' } }, 'filter.a.equals'],
    [{ a: { notEquals: Array.from({ length: 11 }, (_, i) => `v${i}`) } }, 'filter.a.notEquals'],
    [{ a: { equals: [''] } }, 'filter.a.equals[0]'],
    [{ a: { equals: ['\uD800'] } }, 'filter.a.equals[0]'],
    [{ a: { prefix: 'x'.repeat(1_025) } }, 'filter.a.prefix'],
    [{ a: { exists: 'yes' } }, 'filter.a.exists'],
    [Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k${i}`, { exists: true }])), 'filter'],
  ])('refuses %j with INVALID_ARGUMENT naming %s', (filter, field) => {
    expect(() => checkFilter(filter, ALL, 'test')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
    )
  })

  it('refuses an operator the driver does not declare with NOT_SUPPORTED', () => {
    expect(() => checkFilter({ a: { prefix: 'x' } }, ['equals'], 'test')).toThrow(
      expect.objectContaining({ code: 'NOT_SUPPORTED', field: 'filter.a.prefix' }),
    )
  })

  it('copies what it checked, frozen', () => {
    const input = { a: { equals: ['x'] } }
    const checked = checkFilter(input, ALL, 'test')!
    input.a.equals.push('y')
    expect(checked).toEqual({ a: { equals: ['x'] } })
    expect(Object.isFrozen(checked)).toBe(true)
  })
})

describe('topics on a driver without them', () => {
  it('every topic call is NOT_SUPPORTED, after names are checked', async () => {
    const client = new QueueClient(new FakeDriver())
    await expect(client.createTopic('t')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' })
    await expect(client.createSubscription('t', 's')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' })
    expect(() => client.topic('t')).toThrow(expect.objectContaining({ code: 'NOT_SUPPORTED' }))
    expect(() => client.subscription('t', 's')).toThrow(expect.objectContaining({ code: 'NOT_SUPPORTED' }))
    expect(() => client.topic('t/s')).toThrow(expect.objectContaining({ code: 'INVALID_QUEUE_NAME' }))
    await client.close()
  })
})
