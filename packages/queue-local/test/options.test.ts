import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { driverOptionsTest } from '@anyqueue/conformance/vitest'
import { createLocalDriver } from '../src/index.js'

driverOptionsTest(new URL('../README.md', import.meta.url), 'local', (options) =>
  createLocalDriver({ location: join(tmpdir(), 'anyqueue-options-never-opened'), ...options }),
)
