// pnpm bench (queue-servicebus): anyqueue's Service Bus driver against the raw SDK making the same
// calls, on the same backend (resolved like the tests: SERVICEBUS_CONNECTION_STRING → Microsoft's
// emulator → @anyqueue/servicebus-emulator in this process). The two sides alternate call by call
// and each side's rate comes from the time of its own calls only.

import { resolveBackend, servicebusBackend } from '@anyqueue/conformance/backends'
import { consume, QueueClient } from '@anyqueue/queue-core'
import { ServiceBusClient } from '@azure/service-bus'
import { portableSteps, report, reportConsumer, stepComparer } from '../../../scripts/bench-kit.mjs'
import { createServiceBusDriver } from '../dist/index.js'

const N = Number(process.env.BENCH_MESSAGES ?? 2_000)
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(200) }
const body = Buffer.from(JSON.stringify(payload))

const backend = await resolveBackend(servicebusBackend)
const sdk = new ServiceBusClient(backend.connection.connectionString, { retryOptions: { maxRetries: 0 } })
const driver = createServiceBusDriver({ ...backend.connection, leaseSeconds: 60 })
const client = new QueueClient(driver)

async function queues() {
  const name = `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  await client.createQueue(name)
  return {
    sender: sdk.createSender(name),
    receiver: sdk.createReceiver(name, { maxAutoLockRenewalDurationInMs: 0 }),
    queue: client.queue(name),
  }
}

const sdkMessage = () => ({ body, contentType: 'application/json', messageId: crypto.randomUUID() })
const raw = {
  sendOne: ({ sender }) => sender.sendMessages(sdkMessage()),
  sendTen: ({ sender }) => sender.sendMessages(Array.from({ length: 10 }, sdkMessage)),
  async receiveAck({ receiver }) {
    const messages = await receiver.receiveMessages(10, { maxWaitTimeInMs: 50 })
    await Promise.all(messages.map((m) => receiver.completeMessage(m)))
    return messages.length
  },
}
const compare = stepComparer(raw, portableSteps(payload))

try {
  const one = { raw: await queues(), anyqueue: (await queues()).queue }
  await compare(10, 1, 'sendOne', one) // links and tokens up before timing
  const sendOne = await compare(N / 2, 1, 'sendOne', one)
  const ten = { raw: await queues(), anyqueue: (await queues()).queue }
  const sendTen = await compare(N / 20, 10, 'sendTen', ten)
  const receiveAck = await compare(N / 20, 10, 'receiveAck', ten)
  report(`queue-servicebus vs raw @azure/service-bus — ${backend.description}`, 'anyqueue', 'raw SDK', [
    { name: `send, one at a time (${N / 2} each)`, ...sendOne },
    { name: `sendBatch of 10 (${N / 2} each)`, ...sendTen },
    { name: `receive 10 + ackBatch (${N / 2} each)`, ...receiveAck },
  ])
  const consumerMessages = Number(process.env.BENCH_CONSUMER_MESSAGES ?? 1_000)
  await reportConsumer('queue-servicebus', consume, (await queues()).queue, consumerMessages, payload)
} finally {
  await client.close()
  await sdk.close()
  await backend.stop()
}
