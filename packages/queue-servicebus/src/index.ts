export { ATTEMPTS_PROPERTY, DRIVER_NAME, ENQUEUED_PROPERTY } from './constants.js'
export {
  createServiceBusFunctionHandler,
  RedeliverError,
  type ServiceBusFunctionHandler,
} from './functions/handler.js'
export type { FunctionsContextLike, ServiceBusTriggerMetadata } from './functions/trigger-message.js'
export { createServiceBusDriver, ServiceBusDriver } from './servicebus-driver.js'
export { classifyServiceBusError } from './servicebus-errors.js'
export type {
  ServiceBusDriverOptions,
  ServiceBusQueueAdmin,
  ServiceBusTopicAdmin,
} from './servicebus-options.js'

// `openQueueClient('servicebus://?connectionString=…')` (URL-encoded), or the parts:
// `servicebus://<namespace host>?sharedAccessKeyName=…&sharedAccessKey=…[&useDevelopmentEmulator=true]`.
// Without either, `SERVICEBUS_CONNECTION_STRING` from the environment.
import { definedOptions, registerScheme } from '@anyqueue/queue-core/driver'
import { createServiceBusDriver as openServiceBus } from './servicebus-driver.js'

registerScheme('servicebus', (url, params) => {
  const keyName = params.string('sharedAccessKeyName')
  const key = params.string('sharedAccessKey')
  const emulator = params.boolean('useDevelopmentEmulator')
  const fromParts = url.host
    ? `Endpoint=sb://${url.host}/;SharedAccessKeyName=${keyName ?? ''};SharedAccessKey=${key ?? ''}${emulator ? ';UseDevelopmentEmulator=true' : ''}`
    : undefined
  return openServiceBus(
    definedOptions({
      connectionString:
        params.string('connectionString') ?? fromParts ?? process.env.SERVICEBUS_CONNECTION_STRING,
      adminConnectionString: params.string('adminConnectionString'),
      ...params.commonOptions(),
      prefix: params.string('prefix'),
    }),
  )
})
