import { parseArgs } from 'node:util'
import { cases, selectCases } from './cases/index.js'
import { formatMatrix } from './format.js'
import { loadTarget, TargetLoadError } from './load-target.js'
import { runConformance } from './run.js'

const usage = `usage: anyqueue-conformance <module> [--case <id|area|text>]… [--concurrency <n>] [--timeout <s>]
       anyqueue-conformance --list

Runs the anyqueue conformance suite against the driver a module exports, and prints the matrix.
The module's default export (or its named export \`target\`) is either a ConformanceTarget
({ name, open(store) }) or a function (store) => QueueDriver. A .ts module needs Node's type
stripping or tsx installed. --timeout caps each case (default: sized by the driver's lease); a case
that runs out of time fails as \`timed out after N s\` and the run goes on. Exits 1 when a case fails,
2 on bad usage or a module that cannot load.
`

/** After the matrix, how long open handles a driver left behind may keep the process alive. */
const EXIT_GRACE_MS = 2_000

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      case: { type: 'string', multiple: true },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.list) {
    for (const c of cases) process.stdout.write(`${c.id.padEnd(36)} ${c.name}\n`)
    return 0
  }
  if (values.help || positionals.length !== 1) {
    process.stdout.write(usage)
    return values.help ? 0 : 2
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency)
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    process.stderr.write(`--concurrency takes a whole number ≥ 1, got ${values.concurrency}\n`)
    return 2
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout)
  if (timeout !== undefined && !(timeout > 0)) {
    process.stderr.write(`--timeout takes seconds > 0, got ${values.timeout}\n`)
    return 2
  }
  const selected = selectCases(values.case ?? [])
  if (selected.length === 0) {
    process.stderr.write(`no case matches ${values.case!.join(', ')} (see --list)\n`)
    return 2
  }
  let target: Awaited<ReturnType<typeof loadTarget>>
  try {
    target = await loadTarget(positionals[0]!)
  } catch (error) {
    if (!(error instanceof TargetLoadError)) throw error
    process.stderr.write(`anyqueue-conformance: ${error.message}\n`)
    return 2
  }
  const results = await runConformance(target, {
    cases: selected,
    concurrency,
    timeoutMs: timeout === undefined ? undefined : timeout * 1000,
  })
  const byId = new Map(results.map((r) => [r.id, r]))
  process.stdout.write(
    `${formatMatrix(
      [target.name],
      selected.map((c) => c.id),
      (_, id) => byId.get(id),
    )}\n`,
  )
  return results.some((r) => r.status === 'failed') ? 1 : 0
}

function exit(code: number): void {
  process.exitCode = code
  // Every case cleaned up what it started; a driver that still holds the event loop open (a socket, a
  // timer) must not keep the run from ending.
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref()
}

// A driver (or a case) that leaves a promise rejected with nobody listening must not kill the run
// before the matrix: say so, and count it as a failure.
let strayRejections = 0
process.on('unhandledRejection', (reason) => {
  strayRejections++
  process.stderr.write(
    `anyqueue-conformance: a rejection nobody handled: ${String((reason as Error)?.stack ?? reason)}\n`,
  )
})

main().then(
  (code) => exit(code === 0 && strayRejections > 0 ? 1 : code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
    exit(1)
  },
)
