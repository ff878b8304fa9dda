import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { cases, selectCases } from '../src/cases/index.js'

const ids = (selected: readonly { id: string }[]) => selected.map((c) => c.id)
const allIds = ids(cases)
const areas = [...new Set(allIds.map((id) => id.slice(0, id.indexOf('.'))))]
const inArea = (area: string) => allIds.filter((id) => id.startsWith(`${area}.`))
const seed = 20261123

describe('selectCases', () => {
  test('no filter selects every case', () => {
    expect(ids(selectCases([]))).toEqual(allIds)
  })

  test('an area selects that area only, never cases whose names merely contain the word', () => {
    // "ack" is in "back", "nack", "acks" …: the area wins over name text.
    expect(ids(selectCases(['ack']))).toEqual(inArea('ack'))
    expect(ids(selectCases(['nack']))).toEqual(inArea('nack'))
    expect(ids(selectCases(['topics.']))).toEqual(inArea('topics'))
  })

  test('a whole id selects that case alone, even where it starts another id', () => {
    expect(ids(selectCases(['lease.hidden']))).toEqual(['lease.hidden'])
    expect(ids(selectCases(['ack.twice', 'lease.comes-back']))).toEqual(['lease.comes-back', 'ack.twice'])
  })

  test('the start of an id selects the ids that start so', () => {
    expect(ids(selectCases(['payload.text']))).toEqual(['payload.text-round-trip'])
    expect(ids(selectCases(['ack.stale']))).toEqual(allIds.filter((id) => id.startsWith('ack.stale')))
  })

  test('only a filter that matches no id falls back to the text of the names', () => {
    const redrive = cases.filter((c) => c.name.includes('redrive')).map((c) => c.id)
    expect(redrive.length).toBeGreaterThan(0)
    expect(ids(selectCases(['redrive']))).toEqual(redrive)
    expect(selectCases(['no such promise anywhere'])).toEqual([])
    expect(selectCases([''])).toEqual([])
  })

  test('any set of whole ids selects exactly those cases, in suite order', () => {
    fc.assert(
      fc.property(fc.subarray(allIds, { minLength: 1 }), (chosen) => {
        const shuffled = [...chosen].reverse()
        expect(ids(selectCases(shuffled))).toEqual(allIds.filter((id) => chosen.includes(id)))
      }),
      { seed },
    )
  })

  test('any area, with or without its dot, selects exactly its cases', () => {
    fc.assert(
      fc.property(fc.constantFrom(...areas), fc.boolean(), (area, dot) => {
        expect(ids(selectCases([dot ? `${area}.` : area]))).toEqual(inArea(area))
      }),
      { seed },
    )
  })

  test('any filter selects cases of the suite, each once, in suite order, by one rule', () => {
    const token = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(...allIds).chain((id) => fc.nat(id.length).map((n) => id.slice(0, n))),
      fc
        .constantFrom(...cases.map((c) => c.name))
        .chain((name) => fc.tuple(fc.nat(name.length), fc.nat(12)).map(([at, n]) => name.slice(at, at + n))),
    )
    fc.assert(
      fc.property(token, (filter) => {
        const selected = ids(selectCases([filter]))
        expect(selected).toEqual(allIds.filter((id) => selected.includes(id)))
        const area = filter.endsWith('.') ? filter : `${filter}.`
        const expected = allIds.includes(filter)
          ? [filter]
          : allIds.some((id) => id.startsWith(area))
            ? allIds.filter((id) => id.startsWith(area))
            : filter !== '' && allIds.some((id) => id.startsWith(filter))
              ? allIds.filter((id) => id.startsWith(filter))
              : cases.filter((c) => filter !== '' && c.name.includes(filter)).map((c) => c.id)
        expect(selected).toEqual(expected)
      }),
      { seed, numRuns: 300 },
    )
  })
})
