import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

const bin = join(
  dirname(createRequire(import.meta.url).resolve('@anyqueue/conformance/package.json')),
  'bin',
  'anyqueue-conformance.js',
)
const target = fileURLToPath(new URL('./fixtures/target.mjs', import.meta.url))
/**
 * Each test starts node once or more (a second or two each on an idle machine, all of the suite's
 * modules loaded); on a 2-core machine running every package's tests at once that took 10-25 s.
 * The CLI's own limits (case timeouts, exit grace) are what the tests check, not this one.
 */
const CLI_TEST_TIMEOUT_MS = 240_000

/** Runs the CLI; `exitMsAfterSummary` is how long it lived on after printing its summary line. */
async function run(env: NodeJS.ProcessEnv, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string; exitMsAfterSummary: number }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } })
      let stdout = ''
      let stderr = ''
      let summaryAt: number | undefined
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk
        if (summaryAt === undefined && /^conformance: /m.test(stdout)) summaryAt = performance.now()
      })
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk
      })
      child.on('error', reject)
      child.on('close', (code) =>
        resolve({
          code: code ?? -1,
          stdout,
          stderr,
          exitMsAfterSummary: summaryAt === undefined ? Number.NaN : performance.now() - summaryAt,
        }),
      )
    },
  )
}

describe('anyqueue-conformance <module>', () => {
  test('runs the suite against the module’s target and prints the matrix', {
    timeout: CLI_TEST_TIMEOUT_MS,
  }, async () => {
    const { code, stdout } = await run({}, target, '--case', 'ack.twice', '--case', 'payload.text')
    expect(stdout).toMatch(/payload\.text-round-trip\s+pass/)
    expect(stdout).toMatch(/ack\.twice\s+pass/)
    expect(stdout).toMatch(/conformance: 2 passed, 0 failed, 0 skipped/)
    expect(code).toBe(0)
  })

  test('exits 1 when the driver breaks a promise, and says which', {
    timeout: CLI_TEST_TIMEOUT_MS,
  }, async () => {
    const { code, stdout } = await run(
      { ANYQUEUE_TARGET_MODE: 'ack-does-nothing' },
      target,
      '--case',
      'ack.for-good',
    )
    expect(stdout).toMatch(/ack\.for-good\s+FAIL/)
    expect(stdout).toMatch(/broke "ack: removes the message for good": .* came back after it was acked/)
    expect(code).toBe(1)
  })

  test('a driver whose calls hang: the case fails as timed out, the CLI still exits 1 soon after the matrix', {
    timeout: CLI_TEST_TIMEOUT_MS,
  }, async () => {
    const { code, stdout, exitMsAfterSummary } = await run(
      { ANYQUEUE_TARGET_MODE: 'hangs' },
      target,
      '--case',
      'consumer.success-acks',
      '--case',
      'long-poll.empty-waits',
      '--timeout',
      '4',
    )
    expect(stdout).toMatch(/consumer\.success-acks\s+FAIL/)
    expect(stdout).toMatch(/consumer\.success-acks: FAIL — broke .*: timed out after 4 s/)
    expect(stdout).toMatch(/conformance: 0 passed, 2 failed/)
    expect(code).toBe(1)
    // The hung close() must not keep the process: it exits within its 2 s grace after the summary.
    // (Slack for a loaded machine: a CLI that waits for the close never exits, and the run's time
    // up to the summary is the cases' own limit, checked by "timed out after 4 s" above.)
    expect(exitMsAfterSummary).toBeLessThan(2_000 + 10_000)
  })

  test('a driver that cannot share its store across processes skips the process cases with the reason', {
    timeout: CLI_TEST_TIMEOUT_MS,
  }, async () => {
    const { code, stdout } = await run(
      { ANYQUEUE_TARGET_MODE: 'ephemeral' },
      target,
      '--case',
      'consumer.sigkill-redelivers',
      '--case',
      'delivery.persistence',
    )
    expect(stdout).toMatch(
      /consumer\.sigkill-redelivers: skip — the driver declares persistent: false, so its store lives/,
    )
    expect(stdout).toMatch(/delivery\.persistence: skip — the driver declares persistent: false/)
    expect(code).toBe(0)
  })

  test('a file target is opened by the kill case’s child process too', {
    timeout: CLI_TEST_TIMEOUT_MS,
  }, async () => {
    const { code, stdout } = await run(
      { ANYQUEUE_LEASE: '2' },
      target,
      '--case',
      'consumer.sigkill-redelivers',
    )
    expect(stdout).toMatch(/consumer\.sigkill-redelivers\s+pass/)
    expect(code).toBe(0)
  })

  test('a missing target is "no such file", a bad one says what to export, bad usage exits 2', {
    timeout: CLI_TEST_TIMEOUT_MS,
  }, async () => {
    const missing = await run({}, './nowhere/target.js')
    expect(missing.stderr).toMatch(/\.\/nowhere\/target\.js: no such file/)
    expect(missing.code).toBe(2)
    const empty = join(tmpdir(), `anyqueue-empty-target-${process.pid}.mjs`)
    writeFileSync(empty, 'export const nothing = 1\n')
    const bad = await run({}, empty)
    expect(bad.stderr).toMatch(/exports neither a ConformanceTarget/)
    expect(bad.code).toBe(2)
    expect((await run({}, target, '--case', 'no.such-case')).code).toBe(2)
    expect((await run({})).code).toBe(2)
  })

  test('--list names every case by id', { timeout: CLI_TEST_TIMEOUT_MS }, async () => {
    const { code, stdout } = await run({}, '--list')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^ack\.exactly-the-named\s+ack: deletes exactly the message named/m)
    expect(stdout.trim().split('\n').length).toBeGreaterThan(60)
  })
})
