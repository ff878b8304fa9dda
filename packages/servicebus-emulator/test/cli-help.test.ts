import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

// --help describes every flag the CLI parses (read from its source), and the management API as a
// whole, not only queues.
const BIN = fileURLToPath(new URL('../bin/servicebus-emulator.js', import.meta.url))

it('--help names every flag the CLI accepts', async () => {
  const source = await readFile(fileURLToPath(new URL('../src/cli.ts', import.meta.url)), 'utf8')
  const options = source.slice(source.indexOf('options: {'))
  const flags = [...options.matchAll(/^\s+'?([a-z-]+)'?: \{ type:/gm)].map((m) => `--${m[1]}`)
  expect(flags.length).toBeGreaterThanOrEqual(9)
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, '--help'])
  for (const flag of flags) expect(stdout, flag).toMatch(new RegExp(`^  ${flag}\\b`, 'm'))
  expect(stdout).toMatch(/queues,\s+topics, subscriptions, rules/)
  expect(stdout).toContain('servicebus:// URL')
})
