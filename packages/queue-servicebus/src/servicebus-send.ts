import { type OutgoingMessage, QueueError, type SendResult } from '@anyqueue/queue-core/driver'
import type { ServiceBusMessage, ServiceBusSender } from '@azure/service-bus'
import { DRIVER_NAME } from './constants.js'
import { toServiceBus } from './servicebus-message.js'

/** Sends estimated below this go out without asking the SDK to size a batch: a quarter of Standard's 256 KiB. */
const SMALL_BATCH_BYTES = 65_536
/** A generous allowance per message for its id, content type, properties and AMQP framing. */
const ENTRY_OVERHEAD_BYTES = 2_048

/**
 * Sends `messages` on `sender` (a queue's, or a topic's with `stamp` addressing one subscription),
 * in as few calls as Service Bus's batch limit allows; each message gets its own result.
 */
export async function sendMessages(
  sender: ServiceBusSender,
  messages: readonly OutgoingMessage[],
  stamp: string | undefined,
): Promise<SendResult[]> {
  const outgoing = messages.map((m) => toServiceBus(m, stamp))
  const chunks = await batchChunks(sender, messages, outgoing)
  const results: SendResult[] = new Array(messages.length)
  await Promise.all(
    chunks.map(async (indices) => {
      try {
        if (indices.length === 1) await sender.sendMessages(outgoing[indices[0]!]!)
        else await sender.sendMessages(indices.map((i) => outgoing[i]!))
        for (const i of indices) results[i] = { id: String(outgoing[i]!.messageId) }
      } catch (error) {
        for (const i of indices) results[i] = { error }
      }
    }),
  )
  return results
}

/**
 * Groups messages into sends that fit Service Bus's batch limit (256 KiB on Standard). Most
 * batches are far below it and go out as they are; larger ones are sized by the SDK itself.
 */
async function batchChunks(
  sender: ServiceBusSender,
  messages: readonly OutgoingMessage[],
  outgoing: ServiceBusMessage[],
): Promise<number[][]> {
  const all = outgoing.map((_, i) => i)
  let bytes = 0
  for (const m of messages) {
    bytes += m.bytes + ENTRY_OVERHEAD_BYTES
    for (const [name, value] of Object.entries(m.attributes)) bytes += name.length + Buffer.byteLength(value)
  }
  if (bytes <= SMALL_BATCH_BYTES) return [all]
  const chunks: number[][] = []
  let batch = await sender.createMessageBatch()
  let current: number[] = []
  for (let i = 0; i < outgoing.length; i++) {
    if (batch.tryAddMessage(outgoing[i]!)) {
      current.push(i)
      continue
    }
    if (current.length === 0) {
      throw new QueueError(
        'MESSAGE_TOO_LARGE',
        `messages[${i}] does not fit in a Service Bus batch (${batch.maxSizeInBytes} bytes)`,
        {
          field: `messages[${i}]`,
          limit: batch.maxSizeInBytes,
          driver: DRIVER_NAME,
        },
      )
    }
    chunks.push(current)
    current = []
    batch = await sender.createMessageBatch()
    i--
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}
