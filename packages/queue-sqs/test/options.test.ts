import { driverOptionsTest } from '@anyqueue/conformance/vitest'
import { createSqsDriver } from '../src/index.js'

driverOptionsTest(new URL('../README.md', import.meta.url), 'sqs', (options) => createSqsDriver(options))
