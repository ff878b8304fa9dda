import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

const usage = `usage: anyqueue-conformance <module> [--case <id|area|text>]… [--concurrency <n>] [--timeout <s>] [--scale <x>]
       anyqueue-conformance --list | --version | --help

Runs the anyqueue conformance suite against the driver a module exports, and prints the matrix.
The module's default export (or its named export \`target\`) is either a ConformanceTarget
({ name, open(store) }) or a function (store) => QueueDriver. A .ts module needs Node's type
stripping or tsx installed. --timeout caps each case (default: sized by the driver's lease); a case
that runs out of time fails as \`timed out after N s\` and the run goes on. Before the cases the
backend's round trip is measured, and deadlines and cases at once are sized from it (a line says so);
--scale <x> multiplies every deadline by x instead, without measuring. Exits 1 when a case fails,
2 on bad usage or a module that cannot load.
`

/** After the matrix, how long open handles a driver left behind may keep the process alive. */
const EXIT_GRACE_MS = 2_000

/** Bad usage: said in one line, followed by the usage, exit 2. */
class UsageError extends Error {}

function parseCommandLine(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        case: { type: 'string', multiple: true },
        concurrency: { type: 'string' },
        timeout: { type: 'string' },
        scale: { type: 'string' },
        list: { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    // parseArgs throws a TypeError with an ERR_PARSE_ARGS_* code for anything it refuses (an
    // unknown option, an option without its value): the user's mistake, not a crash.
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      // Only its first sentence: the rest is advice about `--` that reads as noise here.
      throw new UsageError((error as Error).message.split('. To specify')[0]!)
    }
    throw error
  }
}

function packageVersion(): string {
  // dist/cli.js and src/cli.ts both sit one level below the package root.
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  return (manifest as { version: string }).version
}

async function main(): Promise<number> {
  try {
    return await run(process.argv.slice(2))
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`anyqueue-conformance: ${error.message}\n\n${usage}`)
    return 2
  }
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args)
  if (values.help) {
    process.stdout.write(usage)
    return 0
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`)
    return 0
  }
  // The suite (every case, the core, fast-check …) loads only once the command line is known good:
  // --help, --version and bad usage answer at once.
  if (values.list) {
    const { cases } = await import('./cases/index.js')
    for (const c of cases) process.stdout.write(`${c.id.padEnd(36)} ${c.name}\n`)
    return 0
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      `expected one module to test, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`,
    )
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency)
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new UsageError(`--concurrency takes a whole number ≥ 1, got ${values.concurrency}`)
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout)
  if (timeout !== undefined && !(timeout > 0)) {
    throw new UsageError(`--timeout takes seconds > 0, got ${values.timeout}`)
  }
  const scale = values.scale === undefined ? undefined : Number(values.scale)
  if (scale !== undefined && !(scale >= 1)) {
    throw new UsageError(`--scale takes a number ≥ 1, got ${values.scale}`)
  }
  const { selectCases } = await import('./cases/index.js')
  const selected = selectCases(values.case ?? [])
  if (selected.length === 0) {
    throw new UsageError(`no case matches ${values.case!.join(', ')} (see --list)`)
  }
  const { loadTarget, TargetLoadError } = await import('./load-target.js')
  const { runConformance } = await import('./run.js')
  const { formatMatrix } = await import('./format.js')
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
    ...(scale === undefined ? {} : { timing: { scale } }),
    onTiming: (_, line) => process.stdout.write(`${line}\n`),
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
