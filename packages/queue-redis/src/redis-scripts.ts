import type { Cluster, Redis } from 'ioredis'
import { ACK, DELETE, NACK, PEEK, RECEIVE, RENEW, SEND, STATS } from './queue-scripts.js'
import { CREATE_SUBSCRIPTION, DELETE_SUBSCRIPTION, DELETE_TOPIC, PUBLISH } from './topic-scripts.js'

/** Every script of the driver, by the name it is defined under on the client. */
const SCRIPTS = {
  anyqueueSend: SEND,
  anyqueueReceive: RECEIVE,
  anyqueueAck: ACK,
  anyqueueNack: NACK,
  anyqueueRenew: RENEW,
  anyqueueStats: STATS,
  anyqueuePeek: PEEK,
  anyqueueDelete: DELETE,
  anyqueueCreateSubscription: CREATE_SUBSCRIPTION,
  anyqueueDeleteSubscription: DELETE_SUBSCRIPTION,
  anyqueueDeleteTopic: DELETE_TOPIC,
  anyqueuePublish: PUBLISH,
} as const

export type ScriptName = keyof typeof SCRIPTS

/** A Redis reply as the scripts give it: integers, strings, nil (null) and arrays of those. */
export type Reply = number | string | null | Reply[]

/**
 * Runs the driver's scripts on one client. ioredis' `defineCommand` sends `EVALSHA` and falls back
 * to `EVAL` (which loads the script) when the server answers `NOSCRIPT` — after a restart, a
 * failover or a `SCRIPT FLUSH`.
 */
export class Scripts {
  readonly #client: Redis | Cluster

  constructor(client: Redis | Cluster) {
    this.#client = client
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (typeof (client as unknown as Record<string, unknown>)[name] !== 'function') {
        client.defineCommand(name, { lua })
      }
    }
  }

  /** Runs `name` with `keys` (all of one hash tag) and `args`. */
  run(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<Reply> {
    const command = (this.#client as unknown as Record<string, (...a: unknown[]) => Promise<Reply>>)[name]!
    return command.call(this.#client, keys.length, ...keys, ...args)
  }
}
