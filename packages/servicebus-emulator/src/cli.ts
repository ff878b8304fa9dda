import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { ConfigError } from './config.js'
import { startEmulator } from './server.js'

const USAGE = `Usage: servicebus-emulator [--config Config.json] [--port 5672] [--host 127.0.0.1]
         [--tls] [--tls-port 5671] [--admin-port 5300] [--max-message-size 262144] [--allow-any-key]

Starts a Service Bus compatible AMQP 1.0 broker in this process and prints its connection strings
and the servicebus:// URL an app opens with @anyqueue/queue-servicebus. For queues made on first
use (createIfMissing), start it with --tls --admin-port 0 and run the app under the printed
NODE_EXTRA_CA_CERTS.

  --config <file>          Microsoft's emulator Config.json (comments allowed). Default: no entities.
  --port <n>               Port to listen on; 0 picks a free one. Default: 5672.
  --host <address>         Address to listen on; 0.0.0.0 to serve other machines. Default: 127.0.0.1.
  --max-message-size <n>   Largest message or batch accepted, in bytes. Default: 262144.
  --tls                    Also serve AMQPS (for SDKs that always dial TLS) with a generated
                           self-signed certificate; prints its path and an AMQPS connection string.
  --tls-port <n>           Port of the AMQPS listener; 0 picks a free one. Default: 5671.
  --admin-port <n>         Serve the management API ServiceBusAdministrationClient speaks (queues,
                           topics, subscriptions, rules, runtime counts) and GET /health on this
                           port (Microsoft's emulator: 5300); HTTPS with --tls. 0 picks a free one.
  --allow-any-key          Accept any SAS token or key, as Microsoft's emulator does. Default: only
                           tokens signed with the key in the printed connection string.
  --help                   Print this and exit.

Stops cleanly on SIGINT or SIGTERM; messages live in memory and go with the process.`

/** Exit codes: 0 stopped by a signal, 1 could not start, 2 bad arguments or configuration. */
export async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>
  try {
    values = parse(argv)
  } catch (error) {
    console.error(`servicebus-emulator: ${(error as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  let port: number
  let tlsPort: number
  let adminPort: number | undefined
  let maxMessageSize: number | undefined
  try {
    port = integer(values.port, '--port', 0, 65_535)
    tlsPort = integer(values['tls-port'], '--tls-port', 0, 65_535)
    adminPort =
      values['admin-port'] === undefined
        ? undefined
        : integer(values['admin-port'], '--admin-port', 0, 65_535)
    maxMessageSize =
      values['max-message-size'] === undefined
        ? undefined
        : integer(values['max-message-size'], '--max-message-size', 1, 104_857_600)
  } catch (error) {
    console.error(`servicebus-emulator: ${(error as Error).message}`)
    return 2
  }

  let config: string | undefined
  if (values.config !== undefined) {
    try {
      config = await readFile(values.config, 'utf8')
    } catch (error) {
      console.error(`servicebus-emulator: cannot read --config ${values.config}: ${(error as Error).message}`)
      return 2
    }
  }

  const started = performance.now()
  let emulator: Awaited<ReturnType<typeof startEmulator>>
  try {
    emulator = await startEmulator({
      port,
      host: values.host,
      config,
      maxMessageSize,
      allowAnyKey: values['allow-any-key'],
      tls: values.tls ? { port: tlsPort } : undefined,
      adminPort,
      onError: (error) =>
        console.error(`servicebus-emulator: survived: ${(error as Error)?.message ?? error}`),
    })
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`servicebus-emulator: ${values.config ?? 'config'} ${error.path}: ${error.reason}`)
      return 2
    }
    console.error(`servicebus-emulator: cannot start: ${(error as Error).message}`)
    return 1
  }

  // Listen for signals before printing: a supervisor may signal as soon as it reads the banner.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  const entities = [...emulator.broker.entities()].filter((e) => !e.isDeadLetterQueue).map((e) => e.path)
  console.log(
    [
      `servicebus-emulator listening on ${emulator.host}:${emulator.port} (started in ${Math.round(performance.now() - started)} ms)`,
      `entities: ${entities.length > 0 ? entities.join(', ') : '(none: create queues with emulator.admin, or pass --config)'}`,
      `connection string: ${emulator.connectionString}`,
      ...(emulator.tls
        ? [
            `amqps (tls) on ${emulator.host}:${emulator.tls.port}, certificate: ${emulator.tls.certPath}`,
            `amqps connection string: ${emulator.tls.connectionString} (trust the certificate, e.g. NODE_EXTRA_CA_CERTS)`,
          ]
        : []),
      ...(emulator.adminApi
        ? [
            `management api on ${emulator.host}:${emulator.adminApi.port}: ${emulator.adminApi.connectionString}`,
          ]
        : []),
      ...appUrl(emulator),
      values['allow-any-key']
        ? 'credentials: any key is accepted (--allow-any-key)'
        : 'credentials: tokens must be signed with the key above (--allow-any-key accepts any)',
    ].join('\n'),
  )

  await stopped
  await emulator.close()
  return 0
}

/**
 * The `servicebus://` URL an app opens with `openQueueClient`: the AMQP connection string, and the
 * management API's when there is one (the SDK's admin client dials only HTTPS, so with `--tls`).
 */
function appUrl(emulator: Awaited<ReturnType<typeof startEmulator>>): string[] {
  const amqp = `servicebus://?connectionString=${encodeURIComponent(emulator.connectionString)}`
  if (emulator.adminApi && emulator.tls)
    return [
      `servicebus url: ${amqp}&adminConnectionString=${encodeURIComponent(emulator.adminApi.connectionString)}&createIfMissing=true`,
      `  run the app with NODE_EXTRA_CA_CERTS=${emulator.tls.certPath} (the management API's certificate)`,
    ]
  return [
    `servicebus url: ${amqp}`,
    '  no queue management over it (createIfMissing, createQueue): start with --tls --admin-port 0 for that',
  ]
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p', default: '5672' },
      host: { type: 'string', default: '127.0.0.1' },
      'max-message-size': { type: 'string' },
      'allow-any-key': { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      'admin-port': { type: 'string' },
      'tls-port': { type: 'string', default: '5671' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values
}

/** The integer in `text`; throws a message naming the flag and its range. */
function integer(text: string, flag: string, min: number, max: number): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`)
  return value
}

process.exitCode = await main(process.argv.slice(2))
