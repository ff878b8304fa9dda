import type { v1 } from '@google-cloud/pubsub'
import { DEAD_LETTER_SUFFIX } from './constants.js'
import { isAlreadyExists, isNotFound } from './pubsub-errors.js'

/** google-gax retries by default; the portable layer retries, so every call turns that off. */
export const NO_RETRY = { retry: { retryCodes: [] as number[] }, timeout: 30_000 }

/** The low-level clients every call goes through, built once per driver. */
export interface Clients {
  project: string
  publisher: v1.PublisherClient
  subscriber: v1.SubscriberClient
}

export interface DeadLetteredSubscription {
  /** The subscription id; the dead-letter topic and subscription are `<id>.dlq`. */
  id: string
  /** The full name of the topic it reads, `projects/<project>/topics/<topic id>`. */
  topic: string
  ackDeadlineSeconds: number
  maxDeliveryAttempts: number
  /** A Pub/Sub filter expression, when the subscription has one. */
  filter?: string | undefined
}

/**
 * Creates a subscription with its own dead-letter topic and subscription (`<name>.dlq`; Pub/Sub
 * counts delivery attempts only under a dead-letter policy); existing ones are kept.
 */
export async function createDeadLettered(
  clients: Clients,
  subscription: DeadLetteredSubscription,
): Promise<void> {
  const { project, publisher, subscriber } = clients
  const name = `projects/${project}/subscriptions/${subscription.id}`
  const deadLetterTopic = `projects/${project}/topics/${subscription.id}${DEAD_LETTER_SUFFIX}`
  await publisher.createTopic({ name: deadLetterTopic }, NO_RETRY).catch(keepExisting)
  await subscriber
    .createSubscription(
      {
        name: name + DEAD_LETTER_SUFFIX,
        topic: deadLetterTopic,
        ackDeadlineSeconds: subscription.ackDeadlineSeconds,
      },
      NO_RETRY,
    )
    .catch(keepExisting)
  await subscriber
    .createSubscription(
      {
        name,
        topic: subscription.topic,
        ackDeadlineSeconds: subscription.ackDeadlineSeconds,
        deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: subscription.maxDeliveryAttempts },
        ...(subscription.filter === undefined ? {} : { filter: subscription.filter }),
      },
      NO_RETRY,
    )
    .catch(keepExisting)
}

/** Deletes subscription `id`, its dead-letter subscription and dead-letter topic; missing ones are no-ops. */
export async function deleteDeadLettered(clients: Clients, id: string): Promise<void> {
  const { project, publisher, subscriber } = clients
  for (const name of [id, id + DEAD_LETTER_SUFFIX]) {
    await subscriber
      .deleteSubscription({ subscription: `projects/${project}/subscriptions/${name}` }, NO_RETRY)
      .catch(ignoreMissing)
  }
  await publisher
    .deleteTopic({ topic: `projects/${project}/topics/${id}${DEAD_LETTER_SUFFIX}` }, NO_RETRY)
    .catch(ignoreMissing)
}

export function ignoreMissing(error: unknown): void {
  if (!isNotFound(error)) throw error
}

export function keepExisting(error: unknown): void {
  if (!isAlreadyExists(error)) throw error
}
