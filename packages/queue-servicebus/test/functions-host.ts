import { randomUUID } from 'node:crypto'
import type { ServiceBusClient, ServiceBusReceivedMessage } from '@azure/service-bus'
import type { FunctionsContextLike, ServiceBusFunctionHandler } from '../src/index.js'

/**
 * What the Azure Functions host does for a Service Bus trigger, for tests: peek-lock receive, call
 * the function with the body and `triggerMetadata` as the host fills them (`deliveryCount` from 1,
 * as the .NET SDK counts), complete when it returns, abandon when it throws. `body`: `'binary'`
 * hands the bytes over as a Buffer; `'parsed'` does what the host does for a JSON-looking body:
 * the parsed value, else the text.
 */
export async function hostOnce(
  raw: ServiceBusClient,
  entity: string,
  fn: ServiceBusFunctionHandler,
  body: 'binary' | 'parsed' = 'binary',
): Promise<Array<{ message: ServiceBusReceivedMessage; threw: unknown }>> {
  const receiver = raw.createReceiver(entity, { receiveMode: 'peekLock' })
  try {
    // One message per receive, as many as are there (up to 10): no link credit is left over, so a
    // message abandoned below goes straight back to the queue, not to a link about to close.
    const messages: ServiceBusReceivedMessage[] = []
    while (messages.length < 10) {
      const [message] = await receiver.receiveMessages(1, {
        maxWaitTimeInMs: messages.length === 0 ? 1_000 : 200,
      })
      if (!message) break
      messages.push(message)
    }
    const results = await Promise.all(
      messages.map(async (message) => {
        const context: FunctionsContextLike = {
          invocationId: randomUUID(),
          triggerMetadata: {
            messageId: message.messageId,
            deliveryCount: (message.deliveryCount ?? 0) + 1,
            enqueuedTimeUtc: message.enqueuedTimeUtc?.toISOString(),
            contentType: message.contentType,
            applicationProperties: message.applicationProperties ?? {},
            lockToken: message.lockToken,
            sequenceNumber: Number(message.sequenceNumber),
          },
        }
        try {
          await fn(body === 'binary' ? message.body : parsed(message.body), context)
          return { message, threw: undefined as unknown }
        } catch (threw) {
          return { message, threw }
        }
      }),
    )
    // One settlement at a time: rhea (under the JavaScript SDK; the real host is .NET) can merge a
    // complete and an abandon issued in the same tick into one outcome (see the README).
    for (const { message, threw } of results) {
      if (threw === undefined) await receiver.completeMessage(message)
      else await receiver.abandonMessage(message)
    }
    return results
  } finally {
    await receiver.close()
  }
}

function parsed(body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : body
  if (typeof text !== 'string') return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
