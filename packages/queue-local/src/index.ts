export { DRIVER_NAME } from './constants.js'
export { createLocalDriver, LocalDriver } from './local-driver.js'
export type { LocalDriverOptions } from './local-options.js'

// `openQueueClient('local:./data?createIfMissing=true')`: the path is the database folder.
import { existsSync } from 'node:fs'
import { definedOptions, QueueError, registerScheme } from '@anyqueue/queue-core/driver'
import { DRIVER_NAME as LOCAL } from './constants.js'
import { createLocalDriver as openLocal } from './local-driver.js'
import { urlLocation } from './url-location.js'

registerScheme('local', (url, params) => {
  const location = urlLocation(url.host ? `//${url.host}${url.pathname}` : url.pathname)
  const options = definedOptions({
    ...params.commonOptions(),
    sync: params.boolean('sync'),
  })
  // A URL is typed by hand (a config file, an env variable): a typo in its path would otherwise
  // open an empty store in a new folder, and what is sent there is lost to a place nobody reads.
  // The option that creates queues on first use is the one that may create the store.
  if (!options.createIfMissing && location !== '' && !existsSync(location)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `no local store at ${location}: check the path, or add ?createIfMissing=true to the URL to make one there`,
      { field: 'url?createIfMissing', driver: LOCAL },
    )
  }
  return openLocal({ location, ...options })
})
