export { DRIVER_NAME } from './constants.js'
export { createRedisDriver, RedisDriver } from './redis-driver.js'
export { classifyRedisError } from './redis-errors.js'
export type { RedisDriverOptions } from './redis-options.js'

// `openQueueClient('redis://127.0.0.1:6379')`, `rediss://user:pass@host:6380/2?prefix=app:` (TLS):
// the URL less its query goes to ioredis as it is.
import { definedOptions, registerScheme, type UrlParams } from '@anyqueue/queue-core/driver'
import { createRedisDriver as openRedis } from './redis-driver.js'

function open(url: URL, params: UrlParams) {
  const server = new URL(url.href)
  server.search = ''
  return openRedis(
    definedOptions({ url: server.href, ...params.commonOptions(), prefix: params.string('prefix') }),
  )
}

registerScheme('redis', open)
registerScheme('rediss', open)
