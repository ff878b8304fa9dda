import { KNOWN_SCHEMES, openQueueClient, type QueueClient } from '@anyqueue/queue-core'
import { CommanderError } from 'commander'
import { describeFailure, EXIT, UsageError } from './exit-codes.js'
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
 * Runs one `anyqueue` command line (without `node` and the script) and resolves with its exit
 * code. Never calls `process.exit`, so it can be tested in-process.
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
  const program = buildProgram(async (global, run) => {
    if (!url) {
      throw new UsageError(
        'no queue URL: give one first (anyqueue local:./data count jobs) or set ANYQUEUE_URL',
      )
    }
    client = await (options.open ?? openByUrl)(url)
    const showProgress = global.progress ?? Boolean(stderr.isTTY && !global.json)
    await run({
      client,
      out: new Output(stdout, global.json === true),
      progress: (label) => (showProgress ? progressBar(stderr, label) : noProgress),
      signal,
    })
  })
  program.configureOutput({
    writeOut: (text) => stdout.write(text),
    writeErr: (text) => stderr.write(text),
  })
  try {
    await program.parseAsync([...rest], { from: 'user' })
    return EXIT.ok
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage
    const { code, message } = describeFailure(error)
    stderr.write(`anyqueue: ${message}\n`)
    return code
  } finally {
    process.removeListener('SIGINT', onSigint)
    await client?.close().catch(() => {})
  }
}

/** The URL is the first argument that is not an option or a command; else ANYQUEUE_URL. */
function splitUrl(argv: readonly string[], fallback: string | undefined) {
  const first = argv.findIndex((arg) => !arg.startsWith('-'))
  if (first === -1 || COMMANDS.includes(argv[first]!)) return { url: fallback, rest: argv }
  return { url: argv[first], rest: [...argv.slice(0, first), ...argv.slice(first + 1)] }
}

async function openByUrl(url: string): Promise<QueueClient> {
  const scheme = url.slice(0, Math.max(0, url.indexOf(':')))
  const known = KNOWN_SCHEMES[scheme]
  // Imported from here, where the CLI's own adapters resolve; openQueueClient names what is missing.
  if (known) await import(known.package).catch(() => undefined)
  return openQueueClient(url)
}
