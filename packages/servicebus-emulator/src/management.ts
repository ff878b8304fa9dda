import type rhea from 'rhea'
import {
  encodeStored,
  parseMessage,
  readLockToken,
  readLong,
  typedBodyMap,
  types,
  uuidToBytes,
  withMessageId,
} from './amqp.js'
import type { Broker } from './broker.js'
import type { Entity } from './entity.js'
import { BrokerError, CONDITIONS } from './errors.js'
import { RAW_MESSAGE } from './rhea-internals.js'
import { addRule, listRules, removeRule } from './rule-manager.js'
import { sessionMismatch } from './session-links.js'
import type { Sessions } from './sessions.js'
import { STATE_CODE, type StoredMessage } from './stored-message.js'

// The `$management` node of every entity: request/response over AMQP. Status codes go
// out as AMQP `int`, as Service Bus sends them: clients in C, .NET and Java reject a `uint`.

export interface Reply {
  properties: Record<string, unknown>
  body?: unknown
}

function ok(body?: unknown, statusCode = 200): Reply {
  return {
    properties: {
      statusCode: types.wrap_int(statusCode),
      statusDescription: statusCode === 204 ? 'No Content' : 'OK',
    },
    body,
  }
}

function failure(condition: string, statusCode: number, description: string): Reply {
  return {
    properties: {
      statusCode: types.wrap_int(statusCode),
      statusDescription: description,
      errorCondition: condition,
    },
  }
}

/** One `$management` request, as every operation's handler reads it. */
interface Request {
  readonly broker: Broker
  readonly entityPath: string
  readonly body: Record<string, unknown>
  readonly message: rhea.Message
}

type Operation = (request: Request) => Reply

type Properties = Record<string, unknown> | undefined

/** What each `disposition-status` does to one locked message (`defered` is how clients spell it). */
const SETTLEMENTS: Record<
  string,
  (entity: Entity, token: string, body: Record<string, unknown>, properties: Properties) => void
> = {
  completed: (entity, token) => entity.complete(token),
  abandoned: (entity, token, _body, properties) => entity.abandon(token, properties),
  defered: (entity, token, _body, properties) => entity.defer(token, properties),
  deferred: (entity, token, _body, properties) => entity.defer(token, properties),
  suspended: (entity, token, body, properties) =>
    entity.deadLetter(
      token,
      body['deadletter-reason'] as string | undefined,
      body['deadletter-description'] as string | undefined,
      properties,
    ),
}

/** The operations Service Bus's `$management` node answers, by the `operation` a request names. */
const OPERATIONS: Record<string, Operation> = {
  'com.microsoft:renew-lock'({ broker, entityPath, body }) {
    const entity = broker.receivable(entityPath)
    const expirations = lockTokens(body).map((token) => entity.renew(token))
    return ok({ expirations: types.wrap_array(expirations, 0x83, undefined) })
  },
  'com.microsoft:update-disposition'({ broker, entityPath, body, message }) {
    const entity = broker.receivable(entityPath)
    const status = String(body['disposition-status'] ?? '')
    // Typed as the client sent them (an int stays an int) when the request's bytes are at hand.
    const raw = (message as unknown as Record<symbol, Buffer | undefined>)[RAW_MESSAGE]
    const properties =
      (raw && typedBodyMap(raw, 'properties-to-modify')) ?? (body['properties-to-modify'] as Properties)
    const tokens = lockTokens(body)
    const settle = Object.hasOwn(SETTLEMENTS, status) ? SETTLEMENTS[status] : undefined
    if (tokens.length > 0 && !settle)
      return failure(CONDITIONS.invalidField, 400, `Unknown disposition-status '${status}'.`)
    for (const token of tokens) settle!(entity, token, body, properties)
    return ok({})
  },
  'com.microsoft:peek-message'({ broker, entityPath, body }) {
    const entity = broker.receivable(entityPath)
    const from = readLong(body['from-sequence-number']) ?? 0
    const count = Number(body['message-count'] ?? 1)
    const session = body['session-id']
    const found = entity.peek(from, count, typeof session === 'string' ? session : undefined)
    if (found.length === 0) return failure(CONDITIONS.messageNotFound, 204, 'No messages to peek.')
    return ok({ messages: found.map((m) => ({ message: encodeForReply(m, undefined) })) })
  },
  'com.microsoft:schedule-message'({ broker, entityPath, body }) {
    const messages = (body.messages ?? []) as Array<{ message: Buffer }>
    const bodies = messages.map((entry) => withMessageId(parseMessage(Buffer.from(entry.message))))
    const seqs = broker.send(entityPath, bodies)
    return ok({ 'sequence-numbers': types.wrap_array(seqs, 0x81, undefined) })
  },
  'com.microsoft:cancel-scheduled-message'({ broker, entityPath, body }) {
    broker.cancelScheduled(entityPath, sequenceNumbers(body))
    return ok({})
  },
  'com.microsoft:receive-by-sequence-number'({ broker, entityPath, body }) {
    const entity = broker.receivable(entityPath)
    const peekLock = Number(body['receiver-settle-mode'] ?? 1) !== 0
    const found = entity.receiveDeferred(sequenceNumbers(body), peekLock)
    return ok({
      messages: found.map(({ message, lock }) => {
        const entry: Record<string, unknown> = { message: encodeForReply(message, lock) }
        if (lock) entry['lock-token'] = types.wrap_uuid(uuidToBytes(lock.token))
        return entry
      }),
    })
  },
  'com.microsoft:add-rule'({ broker, entityPath, body }) {
    addRule(broker, entityPath, body)
    return ok({})
  },
  'com.microsoft:remove-rule'({ broker, entityPath, body }) {
    removeRule(broker, entityPath, body)
    return ok({})
  },
  'com.microsoft:enumerate-rules'({ broker, entityPath, body }) {
    const rules = listRules(broker, entityPath, body)
    return rules.length === 0 ? ok(undefined, 204) : ok({ rules })
  },
  'com.microsoft:renew-session-lock'({ broker, entityPath, body }) {
    const [sessions, id] = session(broker, entityPath, body)
    return ok({ expiration: new Date(sessions.renew(id)) })
  },
  'com.microsoft:get-session-state'({ broker, entityPath, body }) {
    const [sessions, id] = session(broker, entityPath, body)
    return ok({ 'session-state': sessions.getState(id) ?? null })
  },
  'com.microsoft:set-session-state'({ broker, entityPath, body }) {
    const [sessions, id] = session(broker, entityPath, body)
    const state = body['session-state']
    sessions.setState(id, Buffer.isBuffer(state) ? state : undefined)
    return ok({})
  },
}

export function management(broker: Broker, entityPath: string, message: rhea.Message): Reply {
  const operation = String(message.application_properties?.operation ?? '')
  const handler = Object.hasOwn(OPERATIONS, operation) ? OPERATIONS[operation] : undefined
  if (!handler)
    return failure(
      CONDITIONS.notImplemented,
      501,
      `The operation '${operation}' is not supported by this emulator.`,
    )
  const body = (message.body ?? {}) as Record<string, unknown>
  try {
    return handler({ broker, entityPath, body, message })
  } catch (error) {
    const e = BrokerError.from(error)
    return failure(e.condition, e.statusCode, e.message)
  }
}

function encodeForReply(
  message: StoredMessage,
  lock: { lockedUntil: number; token: string } | undefined,
): Buffer {
  const lockedUntil = lock?.lockedUntil
  return encodeStored(message.body, Math.max(0, message.deliveries - (lockedUntil === undefined ? 0 : 1)), {
    sequenceNumber: message.seq,
    enqueuedAt: message.enqueuedAt,
    lockedUntil,
    lockToken: lock?.token,
    lockTokenInDeliveryAnnotations: true,
    state: STATE_CODE[message.state],
    deadLetterSource: message.deadLetterSource,
  })
}

function lockTokens(body: Record<string, unknown>): string[] {
  const raw = body['lock-tokens']
  const list = Array.isArray(raw) ? raw : [raw]
  return list.map((value) => {
    const token = readLockToken(value)
    if (!token) throw new BrokerError(CONDITIONS.invalidField, 'lock-tokens must hold uuids.', 400)
    return token
  })
}

function sequenceNumbers(body: Record<string, unknown>): number[] {
  const raw = body['sequence-numbers']
  const list = Array.isArray(raw) ? raw : [raw]
  return list.map((value) => {
    const seq = readLong(value)
    if (seq === undefined)
      throw new BrokerError(CONDITIONS.invalidField, 'sequence-numbers must hold longs.', 400)
    return seq
  })
}

/** The sessions of a session-enabled entity and the `session-id` a request names. */
function session(broker: Broker, entityPath: string, body: Record<string, unknown>): [Sessions, string] {
  const sessions = broker.receivable(entityPath).sessions
  if (!sessions) throw sessionMismatch(false)
  const id = body['session-id']
  if (typeof id !== 'string')
    throw new BrokerError(CONDITIONS.invalidField, 'session-id must be a string.', 400)
  return [sessions, id]
}
