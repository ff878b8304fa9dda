import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import {
  type Backend,
  BackendUnavailableError,
  canConnect,
  inCI,
  resolveBackend,
  startProcess,
} from '../src/backends/index.js'
import { formatMatrix } from '../src/format.js'

const backend = (source: Backend<string>['source'], connection: string): Backend<string> => ({
  source,
  description: connection,
  connection,
  stop: async () => {},
})

describe('resolveBackend', () => {
  test('an endpoint in the environment wins, and is reported', async () => {
    const lines: string[] = []
    const got = await resolveBackend(
      {
        name: 'demo',
        fromEnv: (env) => (env.DEMO_URL ? backend('env', env.DEMO_URL) : undefined),
        local: async () => backend('local', 'local'),
      },
      { env: { DEMO_URL: 'http://127.0.0.1:1' }, log: (l) => lines.push(l) },
    )
    expect(got.source).toBe('env')
    expect(lines).toEqual(['demo backend: http://127.0.0.1:1 (from the environment)'])
  })

  const steps = {
    name: 'demo',
    fromEnv: () => undefined,
    container: async () => backend('container', 'container'),
    local: async () => backend('local', 'local emulator'),
  }

  test('without env, a container is used when Docker answers', async () => {
    const docker = async () => ({ available: true })
    expect((await resolveBackend(steps, { env: {}, log: false, docker })).source).toBe('container')
  })

  test('without env or Docker, it falls through to the local emulator', async () => {
    const docker = async () => ({ available: false, reason: 'no Docker engine answers' })
    expect((await resolveBackend(steps, { env: {}, log: false, docker })).source).toBe('local')
  })

  test('a container that fails to start falls through to the local emulator too', async () => {
    const docker = async () => ({ available: true })
    const failing = { ...steps, container: () => Promise.reject(new Error('pull denied')) }
    expect((await resolveBackend(failing, { env: {}, log: false, docker })).source).toBe('local')
  })

  test('when nothing resolves, the error gives every step’s reason', async () => {
    const error = await resolveBackend(
      {
        name: 'demo',
        fromEnv: () => undefined,
        local: async () => {
          throw new Error('demo_server is not on PATH')
        },
      },
      { env: {}, log: false },
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BackendUnavailableError)
    expect((error as BackendUnavailableError).reasons).toEqual([
      'env: no endpoint variable is set',
      'local: demo_server is not on PATH',
    ])
  })

  test('CI is detected the way CI systems set it', () => {
    expect(inCI({ CI: 'true' })).toBe(true)
    expect(inCI({ CI: '1' })).toBe(true)
    expect(inCI({ CI: 'false' })).toBe(false)
    expect(inCI({})).toBe(false)
  })
})

describe('startProcess', () => {
  test('starts a child, waits until it listens, and stops it', { timeout: 60_000 }, async () => {
    // The child takes a port of its own and writes it down once it listens: a port picked here and
    // handed over could be taken by another process on a busy machine in between.
    const dir = mkdtempSync(join(tmpdir(), 'anyqueue-start-process-'))
    const portFile = join(dir, 'port')
    const server = `const s = require('node:net').createServer((c) => c.end()).listen(0, '127.0.0.1', () =>
      require('node:fs').writeFileSync(${JSON.stringify(portFile)}, String(s.address().port)))`
    const portWritten = () => (existsSync(portFile) ? Number(readFileSync(portFile, 'utf8')) : undefined)
    // A connect to the loopback answers at once; the patience is for a loaded machine.
    const connects = (port: number) => canConnect(port, '127.0.0.1', 10_000)
    try {
      const started = await startProcess({
        command: process.execPath,
        args: ['-e', server],
        ready: async () => {
          const port = portWritten()
          return port !== undefined && (await connects(port))
        },
      })
      const port = portWritten()!
      expect(await connects(port)).toBe(true)
      await started.stop()
      expect(await connects(port)).toBe(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a child that dies before it is ready fails with its output', async () => {
    const error = await startProcess({
      command: process.execPath,
      args: ['-e', 'console.error("cannot bind"); process.exit(3)'],
      ready: async () => false,
    }).catch((e: unknown) => e as Error)
    expect((error as Error).message).toMatch(/exited with 3[\s\S]*cannot bind/)
  })
})

describe('formatMatrix', () => {
  test('one row per case, one column per driver, reasons and a closing count', () => {
    const text = formatMatrix(['local', 'sqs'], ['round trip', 'FIFO'], (driver, testCase) =>
      testCase === 'FIFO' && driver === 'sqs'
        ? { status: 'skipped', reason: 'the driver declares fifo: false' }
        : testCase === 'FIFO'
          ? { status: 'failed', reason: 'out of order' }
          : { status: 'passed' },
    )
    expect(text.split('\n')).toEqual([
      'case        local  sqs ',
      '----------  -----  ----',
      'round trip  pass   pass',
      'FIFO        FAIL   skip',
      '',
      'notes, skips and failures:',
      '  local · FIFO: FAIL — out of order',
      '  sqs · FIFO: skip — the driver declares fifo: false',
      '',
      'conformance: 2 passed, 1 failed, 1 skipped',
    ])
  })
})
