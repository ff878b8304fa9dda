import { execFile } from 'node:child_process'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { canConnect, freePort, startProcess } from './process.js'
import type { BackendSpec } from './resolve.js'
import { which } from './sqs.js'

/** What a Pub/Sub client needs to reach an emulator: `new PubSub({ projectId, apiEndpoint, emulatorMode: true })`. */
export interface PubSubConnection {
  /** `host:port` of the emulator, as `PUBSUB_EMULATOR_HOST` would hold it. */
  apiEndpoint: string
  projectId: string
  emulatorMode: true
}

/** Google's emulator image used when a Docker engine answers. */
export const PUBSUB_EMULATOR_IMAGE = 'gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators'
const PROJECT = 'anyqueue-test'

/**
 * Resolves a Pub/Sub emulator: `PUBSUB_EMULATOR_HOST` → the emulator container via
 * `@testcontainers/gcloud` → Google's emulator from the Cloud CLI on this machine (its launcher under
 * the SDK root that `gcloud info` reports, else `gcloud beta emulators pubsub start`).
 */
export const pubsubBackend: BackendSpec<PubSubConnection> = {
  name: 'pubsub',
  fromEnv(env) {
    const host = env.PUBSUB_EMULATOR_HOST
    if (!host) return undefined
    const projectId = env.PUBSUB_PROJECT_ID || env.GOOGLE_CLOUD_PROJECT || PROJECT
    return {
      source: 'env',
      description: `${host} (PUBSUB_EMULATOR_HOST)`,
      connection: { apiEndpoint: host, projectId, emulatorMode: true },
      stop: async () => {},
    }
  },
  async container() {
    const { PubSubEmulatorContainer } = (await import('@testcontainers/gcloud')) as {
      PubSubEmulatorContainer: new (
        image: string,
      ) => { start(): Promise<{ getEmulatorEndpoint(): string; stop(): Promise<unknown> }> }
    }
    const started = await new PubSubEmulatorContainer(PUBSUB_EMULATOR_IMAGE).start()
    const endpoint = started.getEmulatorEndpoint()
    return {
      source: 'container',
      description: `the Pub/Sub emulator (${PUBSUB_EMULATOR_IMAGE}) at ${endpoint}`,
      connection: { apiEndpoint: endpoint, projectId: PROJECT, emulatorMode: true },
      stop: async () => {
        await started.stop()
      },
    }
  },
  async local() {
    const gcloud = await which('gcloud')
    const port = await freePort()
    const launcher = await emulatorLauncher(gcloud)
    const [command, args] = launcher
      ? [launcher, [`--host=127.0.0.1`, `--port=${port}`]]
      : [gcloud, ['beta', 'emulators', 'pubsub', 'start', `--host-port=127.0.0.1:${port}`, '--quiet']]
    const emulator = await startProcess({
      command,
      args,
      env: { ...process.env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
      ready: () => canConnect(port),
      timeoutMs: 60_000,
    })
    return {
      source: 'local',
      description: `Google's Pub/Sub emulator (${launcher ?? `${gcloud} beta emulators pubsub start`}) on 127.0.0.1:${port}, a child process`,
      connection: { apiEndpoint: `127.0.0.1:${port}`, projectId: PROJECT, emulatorMode: true },
      stop: emulator.stop,
    }
  },
}

/** The emulator's own launcher under the Cloud SDK root, which starts faster than going through gcloud. */
async function emulatorLauncher(gcloud: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)(gcloud, ['info', '--format=value(installation.sdk_root)'], {
      timeout: 30_000,
    })
    const launcher = join(stdout.trim(), 'platform', 'pubsub-emulator', 'bin', 'cloud-pubsub-emulator')
    await access(launcher)
    return launcher
  } catch {
    return undefined
  }
}
