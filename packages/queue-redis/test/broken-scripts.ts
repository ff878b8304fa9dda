/**
 * Broken drivers for the pitfalls a Redis queue author meets, each the real driver with one script
 * replaced. The driver defines its scripts on the client only when the client has none of that name,
 * so a client that already carries a broken one (or a JavaScript stand-in) breaks exactly that.
 */
import type { ConformanceTarget } from '@anyqueue/conformance'
import { sendThroughDriver } from '@anyqueue/conformance'
import { Redis } from 'ioredis'
import { createRedisDriver } from '../src/index.js'
import { ACK, RECEIVE } from '../src/queue-scripts.js'

type Commands = Record<string, (...args: unknown[]) => Promise<unknown>>

const SERVER_TIME = /local t = redis\.call\('TIME'\)\nlocal now = [^\n]+\n/

/** What a broken client changes: commands defined (or replaced) before the driver sees it. */
export interface Breakage {
  name: string
  /** The conformance cases that state the broken promise: each must fail. */
  mustFail: readonly string[]
  /** No conformance case states the promise yet: the package's own test kills it (see there). */
  gap?: boolean
  /** Breaks `client` (none: the control). */
  apply?(client: Redis): void
}

export const breakages: readonly Breakage[] = [
  {
    // Look, then take in a second call: two receivers between the calls both take the same message.
    name: 'a receive that is not atomic across two clients',
    mustFail: ['lease.hidden-under-concurrency'],
    apply(client) {
      const lookup = RECEIVE.replace(
        /local popped = redis\.call\('ZPOPMIN', KEYS\[5\], ARGV\[1\]\)/,
        `local ids = redis.call('ZRANGE', KEYS[5], 0, tonumber(ARGV[1]) - 1)
local popped = {}
for _, id in ipairs(ids) do popped[#popped + 1] = id; popped[#popped + 1] = id end`,
      )
      const look = lookup.replace(
        /for i = 1, #popped, 2 do[\s\S]*?\nend\n/,
        'for i = 1, #popped, 2 do out[#out + 1] = popped[i] end\n',
      )
      client.defineCommand('brokenLook', { lua: look })
      client.defineCommand('brokenTake', {
        lua: `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {1, now}
for i = 2, #ARGV do
  local seq = ARGV[i]
  redis.call('ZREM', KEYS[5], seq)
  out[#out + 1] = seq
  out[#out + 1] = redis.call('HINCRBY', KEYS[3], seq, 1)
  out[#out + 1] = redis.call('HGET', KEYS[2], seq)
  redis.call('ZADD', KEYS[7], now + tonumber(ARGV[1]), seq)
end
return out`,
      })
      const commands = client as unknown as Commands
      commands.anyqueueReceive = async (...args: unknown[]) => {
        const keys = args.slice(1, 9)
        const [, leaseMs] = args.slice(9)
        const seen = (await commands.brokenLook!(...args)) as (number | string)[]
        if (seen[0] === -1 || seen.length <= 2) return seen
        await new Promise((resolve) => setTimeout(resolve, 5)) // another receiver looks meanwhile
        return commands.brokenTake!(8, ...keys, leaseMs, ...seen.slice(2))
      }
    },
  },
  {
    // The lease's start read from the client's clock — here an hour slow — not from TIME.
    name: 'a lease judged on client time',
    // The server-time scripts (renew, nack, delayed send) disagree with it by the hour.
    mustFail: ['lease.renew-restarts', 'nack.delay', 'delivery.delayed-send'],
    apply(client) {
      client.defineCommand('brokenReceive', {
        lua: RECEIVE.replace(SERVER_TIME, 'local now = tonumber(ARGV[3])\n'),
      })
      const commands = client as unknown as Commands
      commands.anyqueueReceive = (...args: unknown[]) =>
        commands.brokenReceive!(...args, Date.now() - 3_600_000)
    },
  },
  {
    // Any handle of the message deletes it: a stale one takes it from its current holder.
    name: 'an ack by message id instead of delivery',
    mustFail: ['ack.stale-handle-ignored'],
    apply(client) {
      const byId = ACK.replace(
        "if redis.call('HGET', KEYS[3], seq) == ARGV[i + 1] then",
        "if redis.call('HEXISTS', KEYS[2], seq) == 1 then",
      )
      if (byId === ACK) throw new Error('the ack script changed: update this broken driver')
      client.defineCommand('anyqueueAck', { lua: byId })
    },
  },
  {
    // The empty receive never says when the next delayed message comes due: the poll sleeps past it.
    name: 'a blocking read that never wakes on a delayed message coming due',
    // A gap of the suite: its delay cases poll again and again, so a poll that sleeps past the due
    // time still passes them. `long-poll.test.ts` kills it instead: one long poll must return it.
    mustFail: [],
    gap: true,
    apply(client) {
      const deaf = RECEIVE.replace('  out[2] = soonest', '  out[2] = -1')
      if (deaf === RECEIVE) throw new Error('the receive script changed: update this broken driver')
      client.defineCommand('anyqueueReceive', { lua: deaf })
    },
  },
]

/** A conformance target on `url` whose every driver has its own client, broken by `breakage`. */
export function brokenTarget(url: string, breakage: Breakage): ConformanceTarget {
  return {
    name: `redis, broken: ${breakage.name}`,
    open() {
      const client = new Redis(url, { maxRetriesPerRequest: 1 })
      breakage.apply?.(client)
      const driver = createRedisDriver({ client, leaseSeconds: 2 })
      const close = driver.close.bind(driver)
      driver.close = async () => {
        await close()
        await client.quit()
      }
      return driver
    },
    sendForeign: sendThroughDriver,
  }
}
