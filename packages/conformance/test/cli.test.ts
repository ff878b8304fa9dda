import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, test } from 'vitest'

// The CLI as a user meets it: the committed bin shim over the built dist/ (turbo builds before test).
// What a run against a real driver prints is tested beside the local driver
// (packages/queue-local/test/cli.test.ts); here, everything that must end before any case runs.
const bin = fileURLToPath(new URL('../bin/anyqueue-conformance.js', import.meta.url))
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string
}
const scratch = mkdtempSync(join(tmpdir(), 'anyqueue-conformance-cli-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function run(...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    )
  })
}

/** A one-line reason and the usage, no stack trace: what bad usage must look like. */
function expectUsageError(result: { code: number; stdout: string; stderr: string }, reason: RegExp) {
  expect(result.stderr).toMatch(reason)
  expect(result.stderr).toContain('usage: anyqueue-conformance <module>')
  expect(result.stderr).not.toMatch(/^\s+at /m)
  expect(result.code).toBe(2)
}

function target(name: string, source: string): string {
  const path = join(scratch, name)
  writeFileSync(path, source)
  return path
}

describe('anyqueue-conformance: usage', { timeout: 120_000 }, () => {
  test('an unknown option prints the usage and exits 2', async () => {
    expectUsageError(await run('--bogus'), /^anyqueue-conformance: Unknown option '--bogus'$/m)
    expectUsageError(await run('./target.js', '-x'), /^anyqueue-conformance: .*'-x'/m)
  })

  test('an option without its value prints the usage and exits 2', async () => {
    expectUsageError(await run('./target.js', '--case'), /^anyqueue-conformance: .*--case/m)
    expectUsageError(await run('./target.js', '--timeout'), /^anyqueue-conformance: .*--timeout/m)
  })

  test('a value out of range, or a filter that selects no case, prints the usage and exits 2', async () => {
    expectUsageError(
      await run('./target.js', '--concurrency', '0'),
      /^anyqueue-conformance: --concurrency .* got 0$/m,
    )
    expectUsageError(
      await run('./target.js', '--case', 'no.such-case'),
      /^anyqueue-conformance: no case matches/m,
    )
  })

  test('no module, or two, prints the usage and exits 2', async () => {
    expectUsageError(await run(), /^anyqueue-conformance: .*one module/m)
    expectUsageError(await run('./a.js', './b.js'), /^anyqueue-conformance: .*one module/m)
  })

  test('--version prints the package version and exits 0', async () => {
    const result = await run('--version')
    expect(result.stdout).toBe(`${version}\n`)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  test('--help prints the usage and exits 0', async () => {
    const result = await run('--help')
    expect(result.stdout).toContain('usage: anyqueue-conformance <module>')
    expect(result.code).toBe(0)
  })
})

describe('anyqueue-conformance: a target that cannot load', { timeout: 120_000 }, () => {
  test('a module that throws on import is one line naming it, exit 2', async () => {
    const path = target('throws.mjs', "throw new Error('no endpoint configured')\n")
    const result = await run(path, '--case', 'ack.twice')
    expect(result.stderr).toBe(
      `anyqueue-conformance: ${path} cannot be loaded: Error: no endpoint configured\n`,
    )
    expect(result.code).toBe(2)
  })

  test('a module that does not parse is one line naming it, exit 2', async () => {
    const path = target('broken.mjs', 'export default {\n')
    const result = await run(path)
    expect(result.stderr).toMatch(
      new RegExp(`^anyqueue-conformance: ${path} cannot be loaded: SyntaxError: .+\\n$`),
    )
    expect(result.code).toBe(2)
  })

  test('a package that is not installed is one line naming it, exit 2', async () => {
    const result = await run('@anyqueue/no-such-target')
    expect(result.stderr).toMatch(/^anyqueue-conformance: @anyqueue\/no-such-target cannot be loaded: .+\n$/)
    expect(result.code).toBe(2)
  })
})
