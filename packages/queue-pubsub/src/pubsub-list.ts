import { QUEUE_NAME_PATTERN } from '@anyqueue/queue-core/driver'
import type { v1 } from '@google-cloud/pubsub'

/**
 * The portable names of the queues in `project`, sorted. A queue is a topic and a subscription of
 * the same id, `<prefix><name>`; so a subscription counts when its id is the prefix and a portable
 * name (which rules out `.sub.` topic subscriptions and `.dlq` dead-letter companions, `.` never
 * being in a portable name) and it is attached to the topic of that same id. Subscriptions of other
 * applications' topics are left out.
 */
export async function listPubSubQueues(
  subscriber: v1.SubscriberClient,
  project: string,
  prefix: string,
  options: object,
): Promise<string[]> {
  const [subscriptions] = await subscriber.listSubscriptions({ project: `projects/${project}` }, options)
  const names: string[] = []
  for (const subscription of subscriptions) {
    const id = subscription.name?.slice(subscription.name.lastIndexOf('/') + 1) ?? ''
    if (!id.startsWith(prefix)) continue
    const name = id.slice(prefix.length)
    if (QUEUE_NAME_PATTERN.test(name) && subscription.topic === `projects/${project}/topics/${id}`) {
      names.push(name)
    }
  }
  return names.sort()
}
