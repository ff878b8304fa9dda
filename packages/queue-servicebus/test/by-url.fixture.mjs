// An app as the README shows it: the servicebus:// URL the emulator printed (argv[2]), run under
// the NODE_EXTRA_CA_CERTS it printed. Prints what it received.
import { openQueueClient } from '@anyqueue/queue-core'
import '@anyqueue/queue-servicebus'

const client = await openQueueClient(process.argv[2])
const orders = client.queue('orders')
await orders.send({ order: 1 })
const messages = await orders.receive({ maxMessages: 10, waitSeconds: 5 })
for (const message of messages) await orders.ack(message)
await client.close()
console.log(JSON.stringify({ received: messages.map((m) => m.payload), acked: messages.length > 0 }))
