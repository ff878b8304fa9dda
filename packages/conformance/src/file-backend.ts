import { QueueClient } from '@anyqueue/queue-core'
import type { QueueDriver } from '@anyqueue/queue-core/driver'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Backend, type BackendSpec, inCI, resolveBackend } from './backends/resolve.js'

/** One backend for a test file's own tests (beside the suite): see `fileBackend`. */
export interface FileBackend<Connection> {
  /** The resolved backend; without one, skips the calling test with the reasons (`skip` from its context). */
  require(skip: (note: string) => never): Backend<Connection>
}

/**
 * Resolves a backend once for the test file, as the conformance suite does (environment →
 * container → local emulator), and stops it after the file. Without a backend each test that
 * calls `require` is skipped with the reasons — except in CI (`CI=true`), where that fails.
 *
 *   const backend = fileBackend(sqsBackend)
 *   test('…', async ({ skip }) => { const { connection } = backend.require(skip); … })
 */
export function fileBackend<Connection>(
  spec: BackendSpec<Connection>,
  options: { log?: boolean; timeoutMs?: number } = {},
): FileBackend<Connection> {
  let backend: Backend<Connection> | undefined
  let unavailable = ''
  beforeAll(async () => {
    try {
      backend = await resolveBackend(spec, { log: options.log })
    } catch (error) {
      if (inCI()) throw error
      unavailable = (error as Error).message.replaceAll('\n', ' ')
    }
  }, options.timeoutMs ?? 120_000)
  afterAll(() => backend?.stop())
  return {
    require: (skip) => backend ?? skip(unavailable),
  }
}

/**
 * The test that a missing queue's QUEUE_NOT_FOUND names the queue and says how to create it, for a
 * driver opened on `backend` by `open`; `via` is the first call on the missing queue.
 */
export function missingQueueNamedTest<Connection>(
  backend: FileBackend<Connection>,
  open: (connection: Connection) => QueueDriver,
  options: { via: 'send' | 'receive'; timeoutMs?: number },
): void {
  test('a missing queue: QUEUE_NOT_FOUND names it and says how to create it', {
    timeout: options.timeoutMs ?? 60_000,
  }, async ({ skip }) => {
    const client = new QueueClient(open(backend.require(skip).connection))
    try {
      const queue = client.queue('nowhere')
      const error = await (options.via === 'send'
        ? queue.send('x')
        : queue.receive({ waitSeconds: 0 })
      ).catch((e: unknown) => e)
      const driver = client.driver.name
      expect(error).toMatchObject({ code: 'QUEUE_NOT_FOUND', driver })
      expect((error as Error).message).toMatch(
        new RegExp(
          `^\\[anyqueue\\] \\[${driver}\\] queue "nowhere" does not exist \\(.+\\): create it with createQueue\\("nowhere"\\), or open the driver with createIfMissing: true$`,
        ),
      )
    } finally {
      await client.close()
    }
  })
}
