import type rhea from 'rhea'
import type { EventContext, Receiver, Sender } from 'rhea'
import { amqpMessage, parseMessage, type StoredBody, unpackTransfer, withMessageId } from './amqp.js'
import type { Credentials } from './auth.js'
import type { Broker } from './broker.js'
import { BrokerError, CONDITIONS } from './errors.js'
import { Outlets } from './outlets.js'
import { isRequestNode, RequestNodes } from './request-nodes.js'
import { type AttachFrame, linkOf, RAW_MESSAGE } from './rhea-internals.js'
import { acceptSession, sessionMismatch, wantsSession } from './session-links.js'

/**
 * Connects the AMQP container's events to the broker: the links clients attach (to request/response
 * nodes, or to entities to receive from or send to), the messages they send, and the settlements
 * of what the broker delivered.
 */
export function wireLinks(
  container: rhea.Container,
  broker: Broker,
  credentials: Credentials,
  maxMessageSize: number,
  onError: (error: unknown) => void,
): void {
  const outlets = new Outlets(broker)
  const nodes = new RequestNodes(broker, credentials)

  for (const event of ['disconnected', 'connection_close', 'connection_error']) {
    container.on(event, (context: EventContext) => {
      // Locks outlive links, as on Service Bus: only the connection's outlets go.
      outlets.detachConnection(context.connection)
    })
  }
  container.on('error', onError)
  container.on('protocol_error', onError)
  for (const event of ['session_error', 'sender_error', 'receiver_error']) container.on(event, () => {})

  const refuse = (link: Sender | Receiver, error: unknown) => {
    const e = BrokerError.from(error)
    link.close({ condition: e.condition, description: e.message })
  }

  // A client's receiver: we send. Either a reply link of a request/response node, or an entity.
  container.on('sender_open', (context: EventContext) => {
    const link = context.sender!
    const remote: AttachFrame = linkOf(link).remote.attach
    const address = remote.source?.address ?? ''
    link.set_source({ address })
    if (remote.target?.address) link.set_target({ address: remote.target.address })
    if (isRequestNode(address)) {
      nodes.addReplyLink(context.connection, link, address, remote.target?.address)
      return
    }
    try {
      const entity = broker.receivable(address)
      if (wantsSession(remote.source?.filter) !== (entity.sessions !== undefined))
        throw sessionMismatch(entity.sessions !== undefined)
      if (!entity.sessions) return outlets.open(link, entity, undefined)
      acceptSession(
        link,
        entity,
        (lock) => outlets.open(link, entity, lock),
        (error) => {
          outlets.detach(link)
          refuse(link, error)
        },
      )
    } catch (error) {
      refuse(link, error)
    }
  })

  container.on('sendable', (context: EventContext) => outlets.pump(context.sender!))

  container.on('sender_draining', (context: EventContext) => {
    const link = context.sender!
    outlets.pump(link)
    link.set_drained(true)
  })

  container.on('sender_close', (context: EventContext) => {
    const link = context.sender!
    outlets.detach(link)
    nodes.removeReplyLink(context.connection, link)
  })

  container.on('accepted', (c: EventContext) => outlets.settle(c, 'accepted'))
  container.on('released', (c: EventContext) => outlets.settle(c, 'released'))
  container.on('modified', (c: EventContext) => outlets.settle(c, 'modified'))
  container.on('rejected', (c: EventContext) => outlets.settle(c, 'rejected'))

  // A client's sender: we receive. Either requests to a node, or messages for an entity.
  container.on('receiver_open', (context: EventContext) => {
    const link = context.receiver!
    const remote = linkOf(link).remote.attach
    const address = remote.target?.address ?? ''
    link.set_target({ address })
    if (remote.source?.address) link.set_source({ address: remote.source.address })
    linkOf(link).local.attach.max_message_size = maxMessageSize
    if (isRequestNode(address)) return
    try {
      broker.sendable(address)
    } catch (error) {
      refuse(link, error)
    }
  })

  container.on('message', (context: EventContext) => {
    const link = context.receiver!
    const delivery = context.delivery!
    const address = linkOf(link).remote.attach.target?.address ?? ''
    try {
      if (isRequestNode(address)) {
        nodes.handle(context, address)
        return
      }
      const format = (context as unknown as { format?: number }).format ?? 0
      const message = context.message as unknown as Record<symbol, Buffer | undefined>
      // The client's own bytes (copied: the frame's buffer is rhea's), never a re-encoding.
      const raw = Buffer.from(
        format !== 0
          ? (message as unknown as Buffer)
          : // Re-encoding is the last resort (types may change): only if rhea's decode was not wrapped.
            (message[RAW_MESSAGE] ?? amqpMessage.encode(context.message!)),
      )
      const size = (delivery as unknown as { data?: Buffer }).data?.length ?? raw.length
      if (size > maxMessageSize) {
        throw new BrokerError(
          CONDITIONS.sizeExceeded,
          `The received message (delivery-id:${delivery.id}, size:${size} bytes) exceeds the limit (${maxMessageSize} bytes) currently allowed on the link.`,
          413,
        )
      }
      const bodies: StoredBody[] = unpackTransfer(raw, format).map((bytes) =>
        withMessageId(parseMessage(bytes)),
      )
      broker.send(address, bodies)
      delivery.accept()
    } catch (error) {
      const e = BrokerError.from(error)
      if (e.condition === CONDITIONS.notFound) refuse(link, e)
      delivery.reject({ condition: e.condition, description: e.message })
    }
  })
}
