import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'

const bin = join(
  dirname(createRequire(import.meta.url).resolve('@anyqueue/conformance/package.json')),
  'bin',
  'anyqueue-conformance.js',
)
const target = fileURLToPath(new URL('./fixtures/target.mjs', import.meta.url))

async function run(env: NodeJS.ProcessEnv, ...args: string[]) {
  return promisify(execFile)(process.execPath, [bin, target, ...args], {
    env: { ...process.env, ...env },
  }).then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  )
}

describe('anyqueue-conformance <module>', () => {
  test('runs the suite against the module’s target and prints the matrix', { timeout: 60_000 }, async () => {
    const { code, stdout } = await run({}, '--case', 'ack.twice', '--case', 'payload.text')
    expect(stdout).toMatch(/payload\.text-round-trip\s+pass/)
    expect(stdout).toMatch(/conformance: [1-9]\d* passed, 0 failed, 0 skipped/)
    expect(code).toBe(0)
  })

  test('exits 1 when the driver breaks a promise', { timeout: 60_000 }, async () => {
    const { code, stdout } = await run({ BROKEN: '1' }, '--case', 'ack.for-good')
    expect(stdout).toMatch(/ack\.for-good\s+FAIL/)
    expect(code).toBe(1)
  })
})
