import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'

/**
 * The test that a driver's options are the ones its README documents: each option of the README's
 * table (the one headed `| option | default | meaning |`) is accepted, and an option that is not one
 * (`createIfMising`) is `INVALID_ARGUMENT` naming it and the driver. `build` constructs the driver
 * with `options` spread over whatever it needs to construct at all; it must not connect.
 */
export function driverOptionsTest(readme: URL, driver: string, build: (options: object) => unknown): void {
  test("every option in the README's table is an option; a typo is INVALID_ARGUMENT naming it and the driver", () => {
    const text = readFileSync(readme, 'utf8')
    const table = text.slice(text.indexOf('| option | default | meaning |')).split('\n\n')[0]!
    const documented = [...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]!)
    expect(documented.length, 'the README has no options table').toBeGreaterThanOrEqual(1)
    const refusal = (options: object): unknown => {
      try {
        build(options)
        return undefined
      } catch (error) {
        return error
      }
    }
    for (const key of documented) {
      expect(refusal({ [key]: undefined }), key).not.toMatchObject({ field: `options.${key}` })
    }
    expect(refusal({ createIfMising: true })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'options.createIfMising',
      driver,
    })
  })
}
