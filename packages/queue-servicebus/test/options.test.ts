import { driverOptionsTest } from '@anyqueue/conformance/vitest'
import { createServiceBusDriver } from '../src/index.js'

driverOptionsTest(new URL('../README.md', import.meta.url), 'servicebus', (options) =>
  createServiceBusDriver({
    connectionString:
      'Endpoint=sb://127.0.0.1/;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
    ...options,
  }),
)
