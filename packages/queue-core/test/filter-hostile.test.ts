/**
 * Hostile filters (issue 27): whatever a caller's object does when read — a throwing getter, a
 * Proxy trap that throws or answers differently each time, a list with holes — checkFilter answers
 * with a copy it read once or a QueueError, never a raw error.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { QueueError } from '../src/errors.js'
import { checkFilter, FILTER_OPERATORS } from '../src/filter.js'

const SEED = Number(process.env.FC_SEED ?? 20261207)
const check = (value: unknown) => checkFilter(value, FILTER_OPERATORS, 'test')
const boom = () => {
  throw new Error('boom')
}

describe('checkFilter on hostile input', () => {
  it('a getter that throws, at any depth, is INVALID_ARGUMENT with the error as cause', () => {
    const cases: unknown[] = [
      Object.defineProperty({}, 'a', { get: boom, enumerable: true }),
      { a: Object.defineProperty({}, 'equals', { get: boom, enumerable: true }) },
      { a: { equals: Object.defineProperty(['x'], 0, { get: boom }) } },
      { a: { equals: new Proxy(['x'], { get: boom }) } },
      { a: new Proxy({ equals: ['x'] }, { ownKeys: boom }) },
      new Proxy({}, { ownKeys: boom }),
      new Proxy({}, { getPrototypeOf: boom, ownKeys: boom }),
    ]
    const revocable = Proxy.revocable({}, {})
    revocable.revoke()
    cases.push(revocable.proxy, { a: { equals: revocable.proxy } })
    for (const value of cases) {
      let thrown: unknown
      try {
        check(value)
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(QueueError)
      expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT' })
    }
  })

  it('a list with holes is refused, naming the hole', () => {
    // biome-ignore lint/suspicious/noSparseArray: the sparse list is what is tested
    expect(() => check({ a: { equals: [, 'x'] } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'filter.a.equals[0]' }),
    )
    const holes = ['x', 'y']
    delete holes[1]
    expect(() => check({ a: { notEquals: holes } })).toThrow(
      expect.objectContaining({ field: 'filter.a.notEquals[1]' }),
    )
  })

  it('each part is read once: a getter that changes its answer cannot slip past the check', () => {
    let reads = 0
    const operand = ['x']
    Object.defineProperty(operand, 0, {
      get: () => (reads++ === 0 ? 'x' : 42),
      enumerable: true,
    })
    const checked = check({ a: { equals: operand } })
    expect(checked).toEqual({ a: { equals: ['x'] } })
    expect(reads).toBe(1)
  })

  it('property: any value, wrapped in a Proxy whose traps may throw, gives a frozen copy or a QueueError', () => {
    const plain = fc.oneof(
      fc.constant(undefined),
      fc.dictionary(
        fc.constantFrom('a', 'b', 'bad name', ''),
        fc.oneof(
          fc.record({ equals: fc.sparseArray(fc.oneof(fc.string(), fc.integer()), { maxLength: 12 }) }),
          fc.record({ notEquals: fc.array(fc.string(), { maxLength: 3 }) }),
          fc.record({ exists: fc.oneof(fc.boolean(), fc.string()) }),
          fc.record({ prefix: fc.oneof(fc.string(), fc.constant(null)) }),
          fc.anything(),
        ),
        { maxKeys: 4 },
      ),
      fc.anything(),
    )
    const trap = fc.constantFrom(
      'get',
      'ownKeys',
      'getOwnPropertyDescriptor',
      'has',
      'getPrototypeOf',
      'none',
    )
    const wrap = (value: unknown, failing: string, depth: number): unknown => {
      if (typeof value !== 'object' || value === null) return value
      const inner = Array.isArray(value)
        ? value.map((v) => wrap(v, failing, depth + 1))
        : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrap(v, failing, depth + 1)]))
      return failing === 'none' ? inner : new Proxy(inner, { [failing]: boom })
    }
    fc.assert(
      fc.property(plain, trap, (value, failing) => {
        let result: unknown
        try {
          result = check(wrap(value, failing, 0))
        } catch (error) {
          expect(error).toBeInstanceOf(QueueError)
          return
        }
        if (result !== undefined) expect(Object.isFrozen(result)).toBe(true)
      }),
      { seed: SEED, numRuns: 1_000 },
    )
  })
})
