import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { createMemoryDriver } from '../src/index.js'

// The README's options table is the list of options: each is accepted, anything else is refused.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const table = readme.slice(readme.indexOf('| option | default | meaning |')).split('\n\n')[0]!
const documented = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]!)

function refusal(options: object): unknown {
  try {
    createMemoryDriver(options)
    return undefined
  } catch (error) {
    return error
  }
}

test('every option in the README is an option; a typo is INVALID_ARGUMENT naming it and the driver', () => {
  expect(documented.length).toBeGreaterThanOrEqual(4)
  for (const key of documented) {
    expect(refusal({ [key]: undefined }), key).not.toMatchObject({ field: `options.${key}` })
  }
  expect(refusal({ createIfMising: true })).toMatchObject({
    code: 'INVALID_ARGUMENT',
    field: 'options.createIfMising',
    driver: 'memory',
  })
})

test('a value of the wrong type is shown as given: leaseSeconds "5" is not the number 5', () => {
  expect(refusal({ leaseSeconds: '5' })).toMatchObject({
    field: 'leaseSeconds',
    message: expect.stringContaining('got "5"'),
  })
})
