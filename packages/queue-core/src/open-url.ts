/**
 * Open by URL: `openQueueClient` wraps the driver a URL names (see `schemes.ts`) in a `QueueClient`.
 */

import { QueueClient, type QueueClientOptions } from './client.js'
import { openDriver } from './schemes.js'

/**
 * Opens a `QueueClient` on the driver a URL names:
 *
 *   local:./data?createIfMissing=true     memory:
 *   sqs://?region=eu-west-1&prefix=prod-  sqs://127.0.0.1:4566
 *   pubsub://my-project                   servicebus://?connectionString=Endpoint%3Dsb%3A%2F%2F…
 *
 * Options go in the query (`leaseSeconds`, `createIfMissing`, `prefix`, … — see each adapter's
 * README); an unknown one is `INVALID_ARGUMENT`. An unknown scheme is `NOT_SUPPORTED`, naming the
 * package to install.
 */
export async function openQueueClient(
  url: string | URL,
  options: QueueClientOptions = {},
): Promise<QueueClient> {
  return new QueueClient(await openDriver(url), options)
}
