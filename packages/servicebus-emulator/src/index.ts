export { Broker, type CreateQueueOptions } from './broker.js'
export {
  ConfigError,
  DEFAULT_PROPERTIES,
  type EntityProperties,
  parseConfig,
  parseDuration,
  type QueueDefinition,
  type RuleFilter,
  type SubscriptionDefinition,
  type TopicDefinition,
  type Topology,
} from './config.js'
export type { EmulatorAdmin } from './emulator-admin.js'
export type { Entity } from './entity.js'
export {
  type EmulatorOptions,
  MAX_MESSAGE_SIZE,
  type ServiceBusEmulator,
  startEmulator,
} from './server.js'
export { SqlError } from './sql.js'
export type { StoredMessage } from './stored-message.js'
export type { TlsOptions } from './tls.js'
