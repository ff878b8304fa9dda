import { Command, InvalidArgumentError } from 'commander'
import * as commands from './commands.js'
import { serveDashboard } from './dashboard-command.js'
import { VERSION } from './version.js'

export interface GlobalOptions {
  json?: boolean
  progress?: boolean
}

export type Runner = (
  global: GlobalOptions,
  run: (ctx: commands.CommandContext) => Promise<void>,
) => Promise<void>

export const COMMANDS = [
  'queues',
  'count',
  'peek',
  'send',
  'receive',
  'redrive',
  'purge',
  'create',
  'delete',
  'tail',
  'dashboard',
]

/** The command line: each command's arguments and options, run through `withClient`. */
export function buildProgram(withClient: Runner): Command {
  const program = new Command('anyqueue')
    .usage('<url> <command> [arguments] [options]')
    .description(
      'Look at and move messages on any anyqueue backend.\n\n' +
        'The URL picks the backend: local:./data, memory:, sqs://?region=eu-west-1, pubsub://my-project,\n' +
        'servicebus://… (or set ANYQUEUE_URL). Exit codes: 0 ok, 1 backend failure, 2 usage,\n' +
        '3 queue (or local: store) not found, 4 refused without --yes.',
    )
    .version(VERSION, '-V, --version', 'print the version of @anyqueue/cli')
    .option('--json', 'print JSON (one value per line) instead of text')
    .option('--progress', 'show a progress bar on long commands even when stderr is not a terminal')
    .option('--no-progress', 'never show a progress bar')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
  const command = (name: string, description: string) =>
    program.command(name).description(description).exitOverride().showHelpAfterError()
  const global = () => program.opts<GlobalOptions>()

  command('queues', 'list the queues (where the backend can)').action(() =>
    withClient(global(), (ctx) => commands.listQueues(ctx)),
  )
  command('count', 'count the visible messages of a queue (leases each one for a moment)')
    .argument('<queue>')
    .action((queue: string) => withClient(global(), (ctx) => commands.count(ctx, queue)))
  command('peek', 'show messages without removing them (each delivery counts as an attempt)')
    .argument('<queue>')
    .option('-n, --max <n>', 'most messages to show', wholeNumber(1, 1000), 10)
    .action((queue: string, o: { max: number }) =>
      withClient(global(), (ctx) => commands.peek(ctx, queue, o.max)),
    )
  command('send', 'send one message; "-" reads the body from stdin, less one trailing newline')
    .argument('<queue>')
    .argument('<body>')
    .option('-t, --type <type>', 'text or json', 'text')
    .option('-d, --delay <seconds>', 'keep it invisible this long', wholeNumber(0, 900))
    .option('-a, --attribute <name=value...>', 'application attributes', [])
    .action((queue: string, body: string, o: { type: string; delay?: number; attribute: string[] }) =>
      withClient(global(), async (ctx) => {
        const text = body === '-' ? commands.stdinBody(await readStdin()) : body
        await commands.send(ctx, queue, commands.parseBody(text, o.type), {
          ...(o.delay !== undefined && { delaySeconds: o.delay }),
          ...(o.attribute.length > 0 && { attributes: commands.parseAttributes(o.attribute) }),
        })
      }),
    )
  command('receive', 'receive messages and remove them (ack)')
    .argument('<queue>')
    .option('-n, --max <n>', 'most messages, 1 to 10', wholeNumber(1, 10), 1)
    .option('-w, --wait <seconds>', 'long poll for the first message, 0 to 20', wholeNumber(0, 20), 1)
    .action((queue: string, o: { max: number; wait: number }) =>
      withClient(global(), (ctx) => commands.receive(ctx, queue, { max: o.max, waitSeconds: o.wait })),
    )
  command('redrive', 'move messages from a queue (a dead-letter queue) back to another')
    .argument('<from>')
    .argument('<to>')
    .option('-l, --limit <n>', 'move at most this many', wholeNumber(1, Number.MAX_SAFE_INTEGER))
    .action((from: string, to: string, o: { limit?: number }) =>
      withClient(global(), (ctx) => commands.redrive(ctx, from, to, o.limit)),
    )
  command('purge', 'delete every visible message of a queue')
    .argument('<queue>')
    .option('-y, --yes', 'yes, delete them')
    .action((queue: string, o: { yes?: boolean }) =>
      withClient(global(), (ctx) => commands.purge(ctx, queue, o.yes === true)),
    )
  command('create', 'create a queue (a no-op when it exists)')
    .argument('<queue>')
    .action((queue: string) => withClient(global(), (ctx) => commands.create(ctx, queue)))
  command('delete', 'delete a queue and its messages')
    .argument('<queue>')
    .option('-y, --yes', 'yes, delete it')
    .action((queue: string, o: { yes?: boolean }) =>
      withClient(global(), (ctx) => commands.remove(ctx, queue, o.yes === true)),
    )
  command('tail', 'follow a queue: print messages as they arrive, and ack them')
    .argument('<queue>')
    .option('--no-ack', 'leave each message leased instead; it returns when the lease ends')
    .option('-n, --max <n>', 'stop after this many messages', wholeNumber(1, Number.MAX_SAFE_INTEGER))
    .option('-w, --wait <seconds>', 'long poll of each receive, 1 to 20', wholeNumber(1, 20), 20)
    .action((queue: string, o: { ack: boolean; max?: number; wait: number }) =>
      withClient(global(), (ctx) =>
        commands.tail(ctx, queue, {
          ack: o.ack,
          max: o.max ?? Number.POSITIVE_INFINITY,
          waitSeconds: o.wait,
        }),
      ),
    )
  command('dashboard', 'serve a dashboard of the queues (and Prometheus /metrics) until Ctrl-C')
    .option('-p, --port <port>', 'port to listen on (0: any free one)', wholeNumber(0, 65535), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action((o: { port: number; host: string }) =>
      withClient(global(), (ctx) => serveDashboard(ctx, { port: o.port, host: o.host })),
    )
  return program
}

function wholeNumber(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text)
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(`a whole number from ${min} to ${max} is needed`)
    }
    return value
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
