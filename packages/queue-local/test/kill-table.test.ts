import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { mutants } from './broken-cores/mutants.js'
import { brokenDrivers } from './broken-drivers/drivers.js'

// The conformance README quotes how many broken drivers and cores exist and how many the suite
// kills; broken-drivers.test.ts and broken-cores.test.ts prove each kill, this keeps the counts true.
const readme = readFileSync(new URL('../../conformance/README.md', import.meta.url), 'utf8')
const row = (what: string) => {
  const match = new RegExp(`^\\| ${what}:[^|]*\\| (\\d+) \\| (\\d+) \\|`, 'm').exec(readme)
  expect(match, `the README's kill table has no "${what}" row`).not.toBeNull()
  return { broken: Number(match![1]), killed: Number(match![2]) }
}

test('the README kill table counts the broken drivers and cores that exist', () => {
  const gaps = brokenDrivers.filter((e) => e.gap).length
  expect(row('broken drivers')).toEqual({ broken: brokenDrivers.length, killed: brokenDrivers.length - gaps })
  expect(row('broken cores')).toEqual({ broken: mutants.length, killed: mutants.length })
})
