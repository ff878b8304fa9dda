import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import type { QueueDriver } from '@anyqueue/queue-core/driver'
import { cases } from './cases.js'
import { formatMatrix } from './format.js'
import { runConformance } from './run.js'
import type { ConformanceTarget } from './target.js'

const usage = `usage: anyqueue-conformance <module> [--case <text>]… [--concurrency <n>]

Runs the anyqueue conformance suite against the driver a module exports, and prints the matrix.
The module's default export (or its named export \`target\`) is either a ConformanceTarget
({ name, open(store) }) or a function (store) => QueueDriver. Exits 1 when a case fails.
`

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      case: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help || positionals.length !== 1) {
    process.stdout.write(usage)
    return values.help ? 0 : 2
  }
  const target = await loadTarget(positionals[0]!)
  const filters = values.case ?? []
  const selected = filters.length ? cases.filter((c) => filters.some((f) => c.name.includes(f))) : cases
  const results = await runConformance(target, {
    cases: selected,
    concurrency: values.concurrency ? Number(values.concurrency) : undefined,
  })
  const byName = new Map(results.map((r) => [r.name, r]))
  process.stdout.write(
    `${formatMatrix(
      [target.name],
      selected.map((c) => c.name),
      (_, c) => byName.get(c),
    )}\n`,
  )
  return results.some((r) => r.status === 'failed') ? 1 : 0
}

async function loadTarget(specifier: string): Promise<ConformanceTarget> {
  // A path that exists is a file, with or without "./"; anything else is a package name.
  const url = existsSync(resolve(specifier)) ? pathToFileURL(resolve(specifier)).href : specifier
  const module = (await import(url)) as { default?: unknown; target?: unknown }
  const exported = module.target ?? module.default
  if (typeof exported === 'function') {
    return { name: specifier, open: exported as (store: string) => QueueDriver }
  }
  if (
    exported &&
    typeof exported === 'object' &&
    typeof (exported as ConformanceTarget).open === 'function'
  ) {
    return exported as ConformanceTarget
  }
  throw new Error(
    `${specifier} exports neither a ConformanceTarget nor a driver factory as default or \`target\``,
  )
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    process.exitCode = 1
  },
)
