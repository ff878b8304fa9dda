// pnpm bench (queue-servicebus): anyqueue's Service Bus driver against the raw SDK making the same
// calls, on the same backend (resolved like the tests: SERVICEBUS_CONNECTION_STRING → Microsoft's
// emulator → @anyqueue/servicebus-emulator in this process). The two sides alternate call by call
// and each side's rate comes from the time of its own calls only.

import { resolveBackend, servicebusBackend } from '@anyqueue/conformance/backends'
import { consume, QueueClient } from '@anyqueue/queue-core'
import { ServiceBusClient } from '@azure/service-bus'
import { consumeVsLoop, drainWith, portableSteps, report, stepComparer } from '../../../scripts/bench-kit.mjs'
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

/**
 * consume() at `concurrency` against the SDK's own streaming receiver with as many concurrent
 * calls, each on its own queue filled afresh before its turn, rounds alternating.
 */
async function consumeVsSubscribe(messages, concurrency, rounds) {
  const { sender, queue } = await queues()
  const fill = async () => {
    for (let b = 0; b < messages / 10; b++) await sender.sendMessages(Array.from({ length: 10 }, sdkMessage))
  }
  const time = { subject: 0, baseline: 0 }
  const timed = async (side, work) => {
    await fill()
    const started = process.hrtime.bigint()
    await work()
    time[side] += Number(process.hrtime.bigint() - started) / 1e9
  }
  for (let round = 0; round < rounds; round++) {
    await timed('baseline', async () => {
      const receiver = sdk.createReceiver(queue.name, { maxAutoLockRenewalDurationInMs: 0 })
      let handled = 0
      let finish
      const finished = new Promise((resolve) => {
        finish = resolve
      })
      const subscription = receiver.subscribe(
        {
          async processMessage() {
            if (++handled === messages) finish()
          },
          async processError({ error }) {
            console.error('subscribe:', error)
          },
        },
        { autoCompleteMessages: true, maxConcurrentCalls: concurrency },
      )
      await finished
      await subscription.close()
      await receiver.close()
    })
    await timed('subject', () => drainWith(consume, queue, messages, concurrency))
  }
  return { subject: (messages * rounds) / time.subject, baseline: (messages * rounds) / time.baseline }
}

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
  const consumerMessages = Number(process.env.BENCH_CONSUMER_MESSAGES ?? 2_000)
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
  const loop = await consumeVsLoop(consume, (await queues()).queue, {
    messages: consumerMessages,
    concurrency: 16,
    rounds,
    payload,
  })
  report(
    `consume() vs manual loop on queue-servicebus — ${consumerMessages.toLocaleString('en-US')} messages, no-op handler, ${rounds} alternating rounds; manual loop = receive 10 + ackBatch`,
    'consume()',
    'manual loop',
    [{ name: 'consume, concurrency 16', ...loop }],
  )
  const vsSubscribe = await consumeVsSubscribe(consumerMessages, 32, rounds)
  report(
    `consume() vs the SDK's receiver.subscribe() (autoComplete, maxConcurrentCalls 32) — ${consumerMessages.toLocaleString('en-US')} messages, no-op handler, ${rounds} alternating rounds`,
    'consume()',
    'subscribe()',
    [{ name: 'concurrency 32', ...vsSubscribe }],
  )
} finally {
  await client.close()
  await sdk.close()
  await backend.stop()
}
