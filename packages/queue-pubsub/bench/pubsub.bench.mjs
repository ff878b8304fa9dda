// pnpm bench (queue-pubsub): anyqueue's Pub/Sub driver against the raw v1 clients making the same
// calls (publish; pull + acknowledge), on the same emulator, alternating call by call so the
// emulator's drift hits both sides alike. Each side's rate comes from its own calls' time.

import { pubsubBackend, resolveBackend } from '@anyqueue/conformance/backends'
import { consume, QueueClient } from '@anyqueue/queue-core'
import { PubSub, v1 } from '@google-cloud/pubsub'
import { consumeVsLoop, portableSteps, report, stepComparer } from '../../../scripts/bench-kit.mjs'
import { createPubSubDriver } from '../dist/index.js'

const N = Number(process.env.BENCH_MESSAGES ?? 2_000)
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(200) }
const data = Buffer.from(JSON.stringify(payload))
const attributes = { 'content-type': 'application/json' }
const tenEntries = Array.from({ length: 10 }, () => ({ payload }))
const noRetry = { retry: { retryCodes: [] }, timeout: 30_000 }

const backend = await resolveBackend(pubsubBackend)
const pubsub = new PubSub(backend.connection)
const config = await pubsub.getClientConfig()
const publisher = new v1.PublisherClient(config)
const subscriber = new v1.SubscriberClient(config)
const client = new QueueClient(createPubSubDriver({ clientConfig: backend.connection }))

async function queues() {
  const name = `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  const rawName = `${name}-raw`
  const topic = `projects/${pubsub.projectId}/topics/${rawName}`
  const subscription = `projects/${pubsub.projectId}/subscriptions/${rawName}`
  await publisher.createTopic({ name: topic })
  await subscriber.createSubscription({ name: subscription, topic, ackDeadlineSeconds: 30 })
  await client.createQueue(name)
  return { raw: { topic, subscription }, anyqueue: client.queue(name) }
}

const raw = {
  sendOne: ({ topic }) => publisher.publish({ topic, messages: [{ data, attributes }] }, noRetry),
  sendTen: ({ topic }) =>
    publisher.publish({ topic, messages: tenEntries.map(() => ({ data, attributes })) }, noRetry),
  async receiveAck({ subscription }) {
    const [reply] = await subscriber.pull({ subscription, maxMessages: 10, returnImmediately: true }, noRetry)
    const received = reply.receivedMessages ?? []
    if (received.length > 0)
      await subscriber.acknowledge({ subscription, ackIds: received.map((m) => m.ackId) }, noRetry)
    return received.length
  },
}
const compare = stepComparer(raw, portableSteps(payload))

try {
  const one = await queues()
  await compare(20, 1, 'sendOne', one) // warm up channels
  const sendOne = await compare(N / 2, 1, 'sendOne', one)
  const ten = await queues()
  const sendTen = await compare(N / 20, 10, 'sendTen', ten)
  const receiveAck = await compare(N / 20, 10, 'receiveAck', ten)
  report(
    `queue-pubsub vs raw @google-cloud/pubsub v1 clients — ${backend.description}`,
    'anyqueue',
    'raw v1',
    [
      { name: `publish, one at a time (${N / 2} each)`, ...sendOne },
      { name: `sendBatch of 10 (${N / 2} each)`, ...sendTen },
      { name: `pull 10 + acknowledge (${N / 2} each)`, ...receiveAck },
    ],
  )
  const consumerMessages = Number(process.env.BENCH_CONSUMER_MESSAGES ?? 2_000)
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
  const loop = await consumeVsLoop(consume, (await queues()).anyqueue, {
    messages: consumerMessages,
    concurrency: 16,
    rounds,
    payload,
  })
  report(
    `consume() vs manual loop on queue-pubsub — ${consumerMessages.toLocaleString('en-US')} messages, no-op handler, ${rounds} alternating rounds; manual loop = receive 10 + ackBatch`,
    'consume()',
    'manual loop',
    [{ name: 'consume, concurrency 16', ...loop }],
  )
} finally {
  await client.close()
  await Promise.all([publisher.close(), subscriber.close()])
  await pubsub.close()
  await backend.stop()
}
