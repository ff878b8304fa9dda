import {
  KNOWN_SCHEMES,
  openQueueClient,
  type QueueClient,
  QueueError,
  registeredSchemes,
} from '@anyqueue/queue-core'
import { CommanderError } from 'commander'
import { describeFailure, EXIT, UsageError } from './exit-codes.js'
import { assertLocalStoreExists, newStoreLocation, removeFailedStore } from './local-store.js'
import { Output } from './output.js'
import { buildProgram, COMMANDS } from './program.js'
import { noProgress, progressBar } from './progress.js'

export interface MainOptions {
  stdout?: NodeJS.WritableStream & { isTTY?: boolean }
  stderr?: NodeJS.WritableStream & { isTTY?: boolean }
  env?: Record<string, string | undefined>
  /** Opens the client for a URL; default `openQueueClient` after importing the scheme's adapter. */
  open?: (url: string) => Promise<QueueClient>
  /** Ends long-running commands (`tail`); default: Ctrl-C. */
  signal?: AbortSignal
}

/**
 * Runs one `anyqueue` command line and resolves with its exit code. `argv` is the arguments only,
 * without `node` and the script path: `main(process.argv.slice(2))`. Never calls `process.exit`,
 * so it can be tested in-process.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout
  const stderr = options.stderr ?? process.stderr
  const env = options.env ?? process.env
  let client: QueueClient | undefined
  const interrupted = new AbortController()
  const onSigint = () => interrupted.abort()
  if (!options.signal) process.once('SIGINT', onSigint)
  const signal = options.signal ?? interrupted.signal

  const { url, rest } = splitUrl(argv, env.ANYQUEUE_URL)
  // A store the command makes is kept only if the command succeeds: a failure leaves no empty store.
  const created = newStoreLocation(url)
  let code: number = EXIT.ok
  let commandName = ''
  const program = buildProgram(async (global, run) => {
    if (!url) {
      throw new UsageError(
        'no queue URL: give one first (anyqueue local:./data count jobs) or set ANYQUEUE_URL',
      )
    }
    assertLocalStoreExists(url, commandName)
    client = await (options.open ?? openByUrl)(url)
    const showProgress = global.progress ?? Boolean(stderr.isTTY && !global.json)
    await run({
      client,
      out: new Output(stdout, global.json === true),
      progress: (label) => (showProgress ? progressBar(stderr, label) : noProgress),
      signal,
    })
  })
  program.hook('preAction', (_program, action) => {
    commandName = action.name()
  })
  program.configureOutput({
    writeOut: (text) => stdout.write(text),
    writeErr: (text) => stderr.write(text),
  })
  try {
    await program.parseAsync([...rest], { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? EXIT.ok : EXIT.usage
    else {
      const failure = describeFailure(error, { scheme: url ? schemeOf(url) : undefined })
      stderr.write(`anyqueue: ${failure.message}\n`)
      code = failure.code
    }
  } finally {
    process.removeListener('SIGINT', onSigint)
    await client?.close().catch(() => {})
  }
  if (code !== EXIT.ok) removeFailedStore(created)
  return code
}

/** The URL is the first argument that is not an option or a command; else ANYQUEUE_URL. */
function splitUrl(argv: readonly string[], fallback: string | undefined) {
  const first = argv.findIndex((arg) => !arg.startsWith('-'))
  if (first === -1 || COMMANDS.includes(argv[first]!)) return { url: fallback, rest: argv }
  return { url: argv[first], rest: [...argv.slice(0, first), ...argv.slice(first + 1)] }
}

/** The URL's scheme, lowercase as the URL parser reads it: `LOCAL:./data` is a `local:` URL. */
function schemeOf(url: string): string {
  return url.slice(0, Math.max(0, url.indexOf(':'))).toLowerCase()
}

async function openByUrl(url: string): Promise<QueueClient> {
  const scheme = schemeOf(url)
  const known = Object.hasOwn(KNOWN_SCHEMES, scheme) ? KNOWN_SCHEMES[scheme] : undefined
  if (known && !registeredSchemes().includes(scheme)) {
    // Imported from here, so an adapter resolves from where the CLI is installed, not from the
    // current folder: that is where a CLI user must install it.
    const failure = await import(known.package).then(
      () => undefined,
      (error: unknown) => error,
    )
    if (!registeredSchemes().includes(scheme))
      throw adapterMissing(scheme, known.package, known.install, failure)
  }
  return openQueueClient(url)
}

/** For a CLI user, the fix is installing the adapter beside the CLI, not importing it. */
function adapterMissing(scheme: string, adapter: string, install: string, failure: unknown): QueueError {
  const packages = install.split(' ').slice(2)
  const reason = failure instanceof Error ? (failure.message.split('\n')[0] ?? '') : ''
  // The adapter itself is absent (the usual case), or it is there but failed to load (its SDK is missing, …).
  const broken =
    reason !== '' && !reason.includes(`'${adapter}'`) ? ` (loading ${adapter} failed: ${reason})` : ''
  return new QueueError(
    'NOT_SUPPORTED',
    `no driver for "${scheme}:" URLs${broken}: the CLI loads ${adapter} from where the CLI is installed, so install ${packages.join(' and ')} there: ` +
      `npm install -g ${packages.join(' ')} beside a global anyqueue, npm install ${packages.join(' ')} in the project whose anyqueue you run, ` +
      `or npx ${['@anyqueue/cli', ...packages].map((p) => `-p ${p}`).join(' ')} anyqueue <url> <command>`,
    { field: 'url', ...(failure !== undefined && { cause: failure }) },
  )
}
