/**
 * How a broken driver is built: the real local driver behind a Proxy that replaces a few methods.
 * Everything not replaced goes to the real driver, so each broken driver breaks exactly what its
 * patch changes. A patch runs once per opened driver: state it keeps (counters, maps of handles) lives
 * as long as that driver, like the state of a real one.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ConformanceTarget, sendThroughDriver } from '@anyqueue/conformance'
import { QueueClient } from '@anyqueue/queue-core'
import type { IncomingMessage, QueueDriver } from '@anyqueue/queue-core/driver'
import { createLocalDriver, type LocalDriver } from '../../src/index.js'

/** One folder for every store of this file's runs; the test file removes it. */
export const root = mkdtempSync(join(tmpdir(), 'anyqueue-broken-'))

/** The driver's lease: short, so the lease cases run in seconds. */
export const LEASE_SECONDS = 2

export interface BrokenDriver {
  name: string
  /** The cases that state the broken promise: each must fail on this driver. */
  mustFail: string | readonly string[]
  /**
   * What a failure must say, for a case that could also fail for another reason (e.g. one that fails
   * on the real driver today): the kill then counts only when the failure is the one this driver causes.
   */
  reason?: RegExp
  /**
   * Set when no case states the promise yet: the case the suite lacks. The driver then survives
   * `mustFail` (the closest cases there are); the test is expected to fail until the case exists.
   * An existing case made stricter turns the test red by itself; a new case: put its id in
   * `mustFail` and drop `gap` (and `proof`).
   */
  gap?: string
  /**
   * For a gap: shows the bug is real (a survivor that breaks nothing would be no gap at all). Gets a
   * client on a fresh store, with a created queue named `queue`; `reopen` closes it and opens the store
   * again. Throws when the driver does not misbehave.
   */
  proof?: (client: QueueClient, queue: string, reopen: () => Promise<QueueClient>) => Promise<void>
  driver: ConformanceTarget
}

export interface BrokenOptions {
  /** The load case's message count. Default 300: enough for a 1-in-50 or 1-in-100 bug to show. */
  loadMessages?: number
  /** Passed to the real driver (only the auto-create bug sets it). */
  createIfMissing?: boolean
  /** Passed to the real driver: what a body without a content type arrives as. */
  untypedBody?: 'text' | 'json-or-text'
}

/** The local driver with some members replaced; `real` is the driver underneath. */
export function broken(
  name: string,
  patch: (real: LocalDriver, store: string) => Partial<QueueDriver>,
  options: BrokenOptions = {},
): ConformanceTarget {
  return {
    name,
    loadMessages: options.loadMessages ?? 300,
    sendForeign: sendThroughDriver,
    open(store: string): QueueDriver {
      const real = createLocalDriver({
        location: join(root, name, store),
        leaseSeconds: LEASE_SECONDS,
        createIfMissing: options.createIfMissing ?? false,
        untypedBody: options.untypedBody,
      })
      const overrides = patch(real, store)
      return new Proxy(real, {
        get(target, key) {
          // Reflect.get, not overrides[key]: a patch may replace a getter (capabilities) with a getter.
          if (key in overrides) return Reflect.get(overrides, key)
          const value = Reflect.get(target, key, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
    },
  }
}

/** Every broken driver of an area, built with `broken()`. */
export function entry(
  name: string,
  mustFail: BrokenDriver['mustFail'],
  patch: (real: LocalDriver, store: string) => Partial<QueueDriver>,
  extra: Pick<BrokenDriver, 'reason' | 'gap' | 'proof'> & { options?: BrokenOptions } = {},
): BrokenDriver {
  const { options, ...rest } = extra
  return { name, mustFail, driver: broken(name, patch, options), ...rest }
}

let proofs = 0

/** Runs `entry.proof` on a fresh store of its driver; closes whatever it opened. */
export async function prove(entry: BrokenDriver): Promise<void> {
  if (!entry.proof) throw new Error(`${entry.name} is a gap without a proof that its bug is real`)
  const store = `proof-${++proofs}`
  let client = new QueueClient(await entry.driver.open(store))
  try {
    await client.createQueue('proof')
    await entry.proof(client, 'proof', async () => {
      await client.close()
      client = new QueueClient(await entry.driver.open(store))
      return client
    })
  } finally {
    await client.close()
  }
}

/** The parts of a local receipt handle: `lq1.<queue>.<seq hex>.<delivery count>`. */
export interface HandleParts {
  queue: string
  seq: number
  token: number
}

export function parseHandle(handle: string): HandleParts | undefined {
  const match = /^lq1\.([A-Za-z0-9_-]{1,64})\.([0-9a-f]{1,13})\.([1-9][0-9]{0,9})$/.exec(handle)
  if (!match) return undefined
  return { queue: match[1]!, seq: Number.parseInt(match[2]!, 16), token: Number(match[3]) }
}

export function formatHandle({ queue, seq, token }: HandleParts): string {
  return `lq1.${queue}.${seq.toString(16)}.${token}`
}

/**
 * The leases a broken driver has handed out and not seen acked: per queue, the latest handle of each
 * message (by sequence number). The bugs that act on "another" message or on the "current" delivery
 * need it.
 */
export class Leases {
  readonly #byQueue = new Map<string, Map<number, string>>()

  /** Records the handles of a receive; returns the messages unchanged. */
  record(queue: string, messages: IncomingMessage[]): IncomingMessage[] {
    const leases = this.#of(queue)
    for (const m of messages) {
      const parts = parseHandle(m.receiptHandle)
      if (parts) leases.set(parts.seq, m.receiptHandle)
    }
    return messages
  }

  forget(queue: string, handle: string): void {
    const parts = parseHandle(handle)
    if (parts && this.#of(queue).get(parts.seq) === handle) this.#of(queue).delete(parts.seq)
  }

  /** The latest handle of the message `handle` names (itself when it is not stale). */
  latest(queue: string, handle: string): string {
    const parts = parseHandle(handle)
    return (parts && this.#of(queue).get(parts.seq)) ?? handle
  }

  /** The handle of the oldest message still leased, other than the one named. */
  oldestOther(queue: string, handle: string): string | undefined {
    const seq = parseHandle(handle)?.seq
    const others = [...this.#of(queue).entries()].filter(([s]) => s !== seq).sort(([a], [b]) => a - b)
    return others[0]?.[1]
  }

  /** The handle of the oldest message still leased. */
  oldest(queue: string): string | undefined {
    const all = [...this.#of(queue).entries()].sort(([a], [b]) => a - b)
    return all[0]?.[1]
  }

  #of(queue: string): Map<number, string> {
    let leases = this.#byQueue.get(queue)
    if (!leases) {
      leases = new Map()
      this.#byQueue.set(queue, leases)
    }
    return leases
  }
}

export { sleep } from '@anyqueue/queue-core/driver'
