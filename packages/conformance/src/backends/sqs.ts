import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { canConnect, freePort, startProcess } from './process.js'
import type { Backend, BackendSpec } from './resolve.js'

/** What an SQS client needs to reach a backend. Pass it to `new SQSClient({ ...connection })`. */
export interface SqsConnection {
  endpoint: string
  region: string
  credentials: { accessKeyId: string; secretAccessKey: string }
}

/** LocalStack image used when a Docker engine answers. */
export const LOCALSTACK_IMAGE = 'localstack/localstack:4.4'

const testCredentials = { accessKeyId: 'test', secretAccessKey: 'test' }

/**
 * Resolves an SQS backend: `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL` → LocalStack via
 * `@testcontainers/localstack` → `moto_server` (Python moto) on PATH, on a free loopback port.
 */
export const sqsBackend: BackendSpec<SqsConnection> = {
  name: 'sqs',
  fromEnv(env) {
    const endpoint = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL
    if (!endpoint) return undefined
    const credentials =
      env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
        : testCredentials
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'
    return env.AWS_ENDPOINT_URL_SQS
      ? named(endpoint, 'AWS_ENDPOINT_URL_SQS', region, credentials)
      : named(endpoint, 'AWS_ENDPOINT_URL', region, credentials)
  },
  async container() {
    const { LocalstackContainer } = (await import('@testcontainers/localstack')) as {
      LocalstackContainer: new (
        image: string,
      ) => { start(): Promise<{ getConnectionUri(): string; stop(): Promise<unknown> }> }
    }
    const started = await new LocalstackContainer(LOCALSTACK_IMAGE).start()
    return {
      source: 'container',
      description: `LocalStack (${LOCALSTACK_IMAGE}) at ${started.getConnectionUri()}`,
      connection: { endpoint: started.getConnectionUri(), region: 'us-east-1', credentials: testCredentials },
      stop: async () => {
        await started.stop()
      },
    }
  },
  async local() {
    const command = await which('moto_server')
    const port = await freePort()
    const moto = await startProcess({
      command,
      args: ['-H', '127.0.0.1', '-p', String(port)],
      ready: () => canConnect(port),
      timeoutMs: 30_000,
    })
    const endpoint = `http://127.0.0.1:${port}`
    return {
      source: 'local',
      description: `moto_server (${command}) on 127.0.0.1:${port}, a child process`,
      connection: { endpoint, region: 'us-east-1', credentials: testCredentials },
      stop: moto.stop,
    }
  },
}

function named(
  endpoint: string,
  variable: string,
  region: string,
  credentials: SqsConnection['credentials'],
): Backend<SqsConnection> {
  return {
    source: 'env',
    description: `${endpoint} (${variable})`,
    connection: { endpoint, region, credentials },
    stop: async () => {},
  }
}

/** The absolute path of a command on PATH, or an error saying it is not there. */
export async function which(command: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('sh', ['-c', `command -v ${command}`])
    const path = stdout.trim()
    if (path) return path
  } catch {}
  throw new Error(`${command} is not on PATH`)
}
