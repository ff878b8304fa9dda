import { driverOptionsTest } from '@anyqueue/conformance/vitest'
import { createPubSubDriver } from '../src/index.js'

driverOptionsTest(new URL('../README.md', import.meta.url), 'pubsub', (options) =>
  createPubSubDriver(options),
)
