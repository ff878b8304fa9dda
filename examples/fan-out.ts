// Fan-out: publish `user.created` once; the welcome email, the CRM and analytics each get their own
// copy, in their own subscription, acked on its own. The CRM only wants sign-ups from the EU.
//
//   npx -y pnpm@10 -C examples example fan-out.ts 'local:./data?createIfMissing=true'   (or memory:, sqs://…)
import { openQueueClient } from '@anyqueue/queue-core'

type UserCreated = { userId: number; email: string }

const client = await openQueueClient(process.argv[2] ?? 'local:./data?createIfMissing=true')
const topic = `user-created-${process.pid}`
await client.createTopic(topic) // creating an existing topic is a no-op
// A subscription gets what is published after it exists, never before: create them first.
await client.createSubscription(topic, 'welcome-email')
await client.createSubscription(topic, 'crm', { filter: { region: { equals: ['eu'] } } })
await client.createSubscription(topic, 'analytics', { filter: { test: { notEquals: ['true'] } } })

const users = client.topic<UserCreated>(topic)
await users.publish({ userId: 1, email: 'ada@example.com' }, { attributes: { region: 'eu' } })
await users.publish({ userId: 2, email: 'bob@example.com' }, { attributes: { region: 'us' } })
await users.publish({ userId: 3, email: 'qa@example.com' }, { attributes: { region: 'eu', test: 'true' } })

// Each subscription is read like a queue (and `consume()` works on it too).
const received: Record<string, number[]> = {}
for (const name of ['welcome-email', 'crm', 'analytics']) {
  const subscription = client.subscription<UserCreated>(topic, name)
  const userIds: number[] = []
  for (;;) {
    const messages = await subscription.receive({ maxMessages: 10, waitSeconds: 1 })
    if (messages.length === 0) break
    for (const m of messages) userIds.push(m.payload.userId)
    await subscription.ackBatch(messages) // acks this subscription's copies only
  }
  received[name] = userIds.sort()
}
console.log(received) // { 'welcome-email': [1, 2, 3], crm: [1, 3], analytics: [1, 2] }

const expected = { 'welcome-email': [1, 2, 3], crm: [1, 3], analytics: [1, 2] }
if (JSON.stringify(received) !== JSON.stringify(expected)) throw new Error('fan-out went wrong')
await client.deleteTopic(topic) // and its subscriptions
await client.close()
