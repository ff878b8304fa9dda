export { CONTENT_TYPE_ATTRIBUTE, DEAD_LETTER_SUFFIX, DRIVER_NAME, HANDLE_PREFIX } from './constants.js'
export { createPubSubDriver, PubSubDriver } from './pubsub-driver.js'
export { classifyPubSubError } from './pubsub-errors.js'
export type { PubSubDriverOptions } from './pubsub-options.js'
export { PUSH_HANDLE_PREFIX, type PushEnvelope } from './push/envelope.js'
export { createPubSubPushHandler, type PubSubPushOptions, type PushHandler } from './push/handler.js'
export { toNodeListener } from './push/node.js'
export { PushAuthError, type PushAuthOptions } from './push/oidc.js'

// `openQueueClient('pubsub://my-project')`: the host is the project id (else the SDK's default);
// `PUBSUB_EMULATOR_HOST` points the SDK at an emulator as usual.
import { definedOptions, registerScheme } from '@anyqueue/queue-core/driver'
import { createPubSubDriver as openPubSub } from './pubsub-driver.js'

registerScheme('pubsub', (url, params) =>
  openPubSub(
    definedOptions({
      clientConfig: url.hostname ? { projectId: url.hostname } : undefined,
      ...params.commonOptions(),
      prefix: params.string('prefix'),
      maxDeliveryAttempts: params.integer('maxDeliveryAttempts'),
      streamingPull: params.boolean('streamingPull'),
    }),
  ),
)
