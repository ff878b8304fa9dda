import { type ChildProcess, spawn } from 'node:child_process'
import { createServer, Socket } from 'node:net'

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Resolves true once something accepts TCP connections on host:port. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('error', () => done(false))
    socket.connect(port, host, () => done(true))
  })
}

export interface StartedProcess {
  child: ChildProcess
  /** The last lines the process printed, for error messages. */
  output(): string
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

/**
 * Starts an emulator as a child process in its own process group and waits until `ready()` says so.
 * Children are killed when this process exits, so a crashed test run leaves no emulator behind.
 */
export async function startProcess(options: {
  command: string
  args: string[]
  env?: NodeJS.ProcessEnv
  /** Run as another user (PostgreSQL refuses root): spawn's `uid` and `gid`. */
  spawn?: { uid?: number; gid?: number }
  ready: () => Promise<boolean>
  timeoutMs?: number
}): Promise<StartedProcess> {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const child of running) killGroup(child, 'SIGKILL')
    })
  }
  const child = spawn(options.command, options.args, {
    env: options.env ?? process.env,
    ...options.spawn,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  running.add(child)
  const tail: string[] = []
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    if (tail.length > 40) tail.splice(0, tail.length - 40)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  let exited: string | undefined
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`
    running.delete(child)
  })
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject))
  spawnError.catch(() => {})
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    killGroup(child, 'SIGTERM')
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000)
    await gone
    clearTimeout(timer)
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  for (;;) {
    if (exited) throw new Error(`${options.command} ${exited} before it was ready:\n${tail.join('\n')}`)
    if (await Promise.race([options.ready(), spawnError])) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(
        `${options.command} was not ready within ${options.timeoutMs ?? 60_000} ms:\n${tail.join('\n')}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { child, output: () => tail.join('\n'), stop }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}
