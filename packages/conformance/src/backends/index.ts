export { POSTGRES_IMAGE, type PostgresConnection, postgresBackend } from './postgres.js'
export { canConnect, freePort, type StartedProcess, startProcess } from './process.js'
export { type FaultProxy, startFaultProxy } from './proxy.js'
export { PUBSUB_EMULATOR_IMAGE, type PubSubConnection, pubsubBackend } from './pubsub.js'
export { REDIS_IMAGE, type RedisConnection, redisBackend, startRedisServer } from './redis.js'
export {
  type Backend,
  type BackendSource,
  type BackendSpec,
  BackendUnavailableError,
  dockerStatus,
  inCI,
  resolveBackend,
} from './resolve.js'
export {
  MSSQL_IMAGE,
  SERVICEBUS_EMULATOR_IMAGE,
  type ServiceBusAdmin,
  type ServiceBusConnection,
  servicebusBackend,
} from './servicebus.js'
export { LOCALSTACK_IMAGE, type SqsConnection, sqsBackend, which } from './sqs.js'
