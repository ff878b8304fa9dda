export { DRIVER_NAME } from './constants.js'
export { createLocalDriver, LocalDriver } from './local-driver.js'
export type { LocalDriverOptions } from './local-options.js'

// `openQueueClient('local:./data?createIfMissing=true')`: the path is the database folder.
import { definedOptions, registerScheme } from '@anyqueue/queue-core/driver'
import { createLocalDriver as openLocal } from './local-driver.js'

registerScheme('local', (url, params) =>
  openLocal({
    location: decodeURIComponent(url.host ? `//${url.host}${url.pathname}` : url.pathname),
    ...definedOptions({
      ...params.commonOptions(),
      sync: params.boolean('sync'),
    }),
  }),
)
