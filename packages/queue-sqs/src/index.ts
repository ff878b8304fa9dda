export { CONTENT_TYPE_ATTRIBUTE, DRIVER_NAME, TRANSFER_ENCODING_ATTRIBUTE } from './constants.js'
export type {
  LambdaContextLike,
  SqsBatchResponse,
  SqsEvent,
  SqsEventMessageAttribute,
  SqsEventRecord,
} from './lambda/event.js'
export { createSqsLambdaHandler, type SqsLambdaHandler, type SqsLambdaOptions } from './lambda/handler.js'
export { createSqsDriver, SqsDriver } from './sqs-driver.js'
export { classifySqsError } from './sqs-errors.js'
export type { SqsDriverOptions } from './sqs-options.js'

// `openQueueClient('sqs://?region=eu-west-1')`, or `sqs://127.0.0.1:4566` for an endpoint (http on
// loopback, https elsewhere; `?endpoint=` says it in full). Credentials come from the usual AWS sources.
import { definedOptions, registerScheme } from '@anyqueue/queue-core/driver'
import { createSqsDriver as openSqs } from './sqs-driver.js'

registerScheme('sqs', (url, params) => {
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  const endpoint =
    params.string('endpoint') ?? (url.host ? `${loopback ? 'http' : 'https'}://${url.host}` : undefined)
  return openSqs(
    definedOptions({
      clientConfig: definedOptions({ region: params.string('region'), endpoint }),
      ...params.commonOptions(),
      prefix: params.string('prefix'),
    }),
  )
})
