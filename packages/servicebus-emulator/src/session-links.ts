import type { Sender } from 'rhea'
import { plain, types } from './amqp.js'
import type { Entity } from './entity.js'
import { BrokerError, CONDITIONS } from './errors.js'
import { linkOf } from './rhea-internals.js'
import { type SessionLock, sessionLockLost } from './sessions.js'

// How a receiver link becomes a session receiver, as Service Bus does it: the client asks in its
// source filter (`com.microsoft:session-filter`: an id, or null for "any session"); our attach
// echoes the session granted in the same filter and its lock expiry, in .NET ticks, as the link
// property `com.microsoft:locked-until-utc`.

export const SESSION_FILTER = 'com.microsoft:session-filter'
const LOCKED_UNTIL = 'com.microsoft:locked-until-utc'
const CLIENT_TIMEOUT = 'com.microsoft:timeout'
/** Service Bus caps how long it holds an `acceptNextSession` attach without a client timeout. */
const DEFAULT_WAIT_MS = 60_000

/** Whether an attach asks for a session receiver. */
export function wantsSession(filter: unknown): boolean {
  return typeof filter === 'object' && filter !== null && SESSION_FILTER in filter
}

/** The service's refusal when the receiver kind does not match the entity. */
export function sessionMismatch(entityRequiresSession: boolean): BrokerError {
  return new BrokerError(
    CONDITIONS.notAllowed,
    entityRequiresSession
      ? 'It is not possible for an entity that requires sessions to create a non-sessionful message receiver.'
      : 'A sessionful message receiver cannot be created on an entity that does not require sessions. Ensure RequiresSession is set to true when creating a Queue or Subscription to enable sessionful behavior.',
    400,
  )
}

/** .NET ticks (100 ns since 0001-01-01) as an 8-byte big-endian long, as the SDK reads them. */
function ticks(ms: number): Buffer {
  const buffer = Buffer.alloc(8)
  buffer.writeBigInt64BE(BigInt(ms) * 10_000n + 621_355_968_000_000_000n)
  return buffer
}

/**
 * Grants a session to a receiver link: the one it names, or the next one with messages waiting —
 * holding the attach (as Service Bus does) until one is, or until the client's timeout, then
 * answering `com.microsoft:timeout`. `open` turns the link into an outlet of that session;
 * `lost` is told when the lock lapses. Throws `SessionCannotBeLocked` when another holds it.
 */
export function acceptSession(
  link: Sender,
  entity: Entity,
  open: (lock: SessionLock) => void,
  lost: (error: BrokerError) => void,
): void {
  const sessions = entity.sessions!
  const internals = linkOf(link)
  const address = internals.remote.attach.source?.address ?? ''
  const filter = (internals.remote.attach.source?.filter ?? {}) as Record<string, unknown>
  const requested = plain(filter[SESSION_FILTER])
  const grant = (sessionId: string) => {
    const lock = sessions.lock(sessionId, () => lost(sessionLockLost(sessionId)))
    link.set_source({ address, filter: { [SESSION_FILTER]: sessionId } } as never)
    internals.local.attach.properties = { [LOCKED_UNTIL]: types.wrap_long(ticks(lock.lockedUntil)) }
    open(lock)
  }
  const now = typeof requested === 'string' && requested !== '' ? requested : sessions.available()
  if (now !== undefined) {
    grant(now)
    return
  }

  // No session has messages yet: take back the attach rhea queued, and send it once one has.
  internals.state.open_requests = 0
  internals.state.local_open = false
  const resume = () => (link as unknown as { attach(): void }).attach()
  let done = false
  const cancel = sessions.wait((sessionId) => {
    if (done || !link.is_remote_open() || !link.connection.is_open()) return false
    done = true
    clearTimeout(timer)
    resume()
    grant(sessionId)
    return true
  })
  const wait = Number(plain(internals.remote.attach.properties?.[CLIENT_TIMEOUT]) ?? DEFAULT_WAIT_MS)
  const timer = setTimeout(() => {
    if (done) return
    done = true
    cancel()
    if (!link.is_remote_open()) return
    resume()
    link.close({
      condition: CONDITIONS.timeout,
      description: `No session with messages became available on '${entity.path}' within ${wait} ms.`,
    })
  }, wait)
  timer.unref()
}
