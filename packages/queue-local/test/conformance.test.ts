import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sendThroughDriver } from '@anyqueue/conformance'
import { conformanceSuite } from '@anyqueue/conformance/vitest'
import { afterAll } from 'vitest'
import { createLocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-local-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

// Each case opens its own database folder; reopening the same store key reaches the same data.
conformanceSuite(
  {
    name: 'local',
    open: (store) => createLocalDriver({ location: join(root, store), leaseSeconds: 2 }),
    propertyRuns: 2_000,
    process: {
      module: fileURLToPath(new URL('./fixtures/target.mjs', import.meta.url)),
      env: { ANYQUEUE_LOCAL_ROOT: root, ANYQUEUE_LEASE: '2' },
    },
    // The local store has no other producer than the driver: a raw write through it. Text only.
    sendForeign: sendThroughDriver,
  },
  { leaseSeconds: 2 },
)
