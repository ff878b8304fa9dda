/** Where a backend came from, in the order they are tried. */
export type BackendSource = 'env' | 'container' | 'local'

export interface Backend<Connection> {
  source: BackendSource
  /** What was used, for the report: `moto_server on 127.0.0.1:41233 (child process)`. */
  description: string
  connection: Connection
  /** Stops what the helper started; a no-op for an endpoint named in the environment. */
  stop(): Promise<void>
}

export interface BackendSpec<Connection> {
  /** `sqs`, `pubsub`, `servicebus`. */
  name: string
  /** 1. An endpoint the user named with the ecosystem's own variables. */
  fromEnv(env: NodeJS.ProcessEnv): Backend<Connection> | undefined
  /** 2. A container, started with testcontainers when a Docker engine answers. */
  container?(): Promise<Backend<Connection>>
  /** 3. An emulator installed on this machine; throws with the reason when there is none. */
  local?(): Promise<Backend<Connection>>
}

/** Thrown when no step could provide a backend; `reasons` says why each step failed. */
export class BackendUnavailableError extends Error {
  readonly reasons: string[]
  constructor(name: string, reasons: string[]) {
    super(`no ${name} backend could be resolved:\n${reasons.map((r) => `  - ${r}`).join('\n')}`)
    this.name = 'BackendUnavailableError'
    this.reasons = reasons
  }
}

/**
 * Resolves a backend: the environment first, then a container when Docker answers, then a local
 * emulator. Logs which one it used (pass `log: false` to stay quiet).
 */
export async function resolveBackend<Connection>(
  spec: BackendSpec<Connection>,
  options: {
    env?: NodeJS.ProcessEnv
    log?: boolean | ((line: string) => void)
    /** How to tell whether a Docker engine answers; default: ask testcontainers. */
    docker?: () => Promise<{ available: boolean; reason?: string }>
  } = {},
): Promise<Backend<Connection>> {
  const env = options.env ?? process.env
  const log =
    options.log === false
      ? () => {}
      : typeof options.log === 'function'
        ? options.log
        : (line: string) => process.stderr.write(`[anyqueue] ${line}\n`)
  const reasons: string[] = []
  const fromEnv = spec.fromEnv(env)
  if (fromEnv) {
    log(`${spec.name} backend: ${fromEnv.description} (from the environment)`)
    return fromEnv
  }
  reasons.push('env: no endpoint variable is set')
  if (spec.container) {
    const docker = await (options.docker ?? dockerStatus)()
    if (docker.available) {
      try {
        const backend = await spec.container()
        log(`${spec.name} backend: ${backend.description} (testcontainers)`)
        return backend
      } catch (error) {
        reasons.push(`container: ${(error as Error).message}`)
      }
    } else {
      reasons.push(`container: ${docker.reason}`)
    }
  }
  if (spec.local) {
    try {
      const backend = await spec.local()
      log(`${spec.name} backend: ${backend.description}`)
      return backend
    } catch (error) {
      reasons.push(`local: ${(error as Error).message}`)
    }
  }
  throw new BackendUnavailableError(spec.name, reasons)
}

let docker: Promise<{ available: boolean; reason?: string }> | undefined

/** Whether testcontainers finds a Docker engine that answers; asked once per process. */
export function dockerStatus(): Promise<{ available: boolean; reason?: string }> {
  docker ??= (async () => {
    let testcontainers: { getContainerRuntimeClient(): Promise<unknown> }
    try {
      testcontainers = (await import('testcontainers')) as never
    } catch {
      return { available: false, reason: 'the testcontainers package is not installed' }
    }
    try {
      const probe = testcontainers.getContainerRuntimeClient()
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000)
      })
      await Promise.race([probe, timeout]).finally(() => clearTimeout(timer))
      return { available: true }
    } catch (error) {
      return {
        available: false,
        reason: `no Docker engine answers (${(error as Error).message.split('\n')[0]})`,
      }
    }
  })()
  return docker
}

/** True when running in CI, where an unresolvable backend is a failure and never a skip. */
export function inCI(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
}
