import {
  createTriggerPipeline,
  type Handler,
  type Message,
  type Queue,
  type QueueClient,
  type TriggerOptions,
} from '@anyqueue/queue-core'
import { sendThroughDriver } from './foreign-producer.js'
import { triggerCases } from './trigger-cases.js'
import type { TriggerCase, TriggerCaseOptions, TriggerQueue, TriggerTarget } from './trigger-target.js'

export interface TriggerCaseResult {
  id: string
  status: 'passed' | 'failed'
  reason?: string
}

/** Runs the trigger section (or `cases`) against `target`, all at once; never rejects. */
export async function runTriggerCases(
  target: TriggerTarget,
  options: TriggerCaseOptions & { cases?: readonly TriggerCase[] } = {},
): Promise<TriggerCaseResult[]> {
  return Promise.all(
    (options.cases ?? triggerCases).map(async (c): Promise<TriggerCaseResult> => {
      let opened: TriggerQueue | undefined
      try {
        opened = await target.open()
        await c.run(opened, options)
        return { id: c.id, status: 'passed' }
      } catch (error) {
        return { id: c.id, status: 'failed', reason: error instanceof Error ? error.message : String(error) }
      } finally {
        await opened?.close().catch(() => {})
      }
    }),
  )
}

type Pipeline = ReturnType<typeof createTriggerPipeline>
type Outcome = Awaited<ReturnType<Pipeline['run']>>[number]

/**
 * How a runner settles the outcomes of one batch: `pollingTriggerTarget` takes one, so a broken
 * runner can replace it. The default does what `consume()` does, message by message.
 */
export type Settle = (
  queue: Queue<any>,
  messages: readonly Message<any>[],
  outcomes: readonly Outcome[],
  pipeline: Pipeline,
) => Promise<void>

export const settleAsConsume: Settle = async (queue, messages, outcomes, pipeline) => {
  await Promise.all(
    messages.map(async (message, i) => {
      const outcome = outcomes[i]!
      switch (outcome.kind) {
        case 'ack':
          return queue.ack(message)
        case 'retry':
        case 'fail':
          return queue.nack(message, { delaySeconds: Math.round(outcome.delaySeconds) })
        case 'dead-letter':
          await pipeline.deadLetter(message, outcome.reason)
          return queue.ack(message)
      }
    }),
  )
}

/**
 * The reference runner, on any driver: receive a batch, run it through `createTriggerPipeline`,
 * settle each outcome — what a Kubernetes job or a scheduled worker would do. Its queues are
 * `trigger-<random>` on `client`, and their `-dlq`.
 */
export function pollingTriggerTarget(
  client: QueueClient,
  options: {
    name?: string
    settle?: Settle
    transform?: (options: TriggerOptions<any>) => TriggerOptions<any>
  } = {},
): TriggerTarget {
  const settle = options.settle ?? settleAsConsume
  return {
    name: options.name ?? `polling runner on ${client.driver.name}`,
    async open() {
      const name = `trigger-${Math.random().toString(36).slice(2, 10)}`
      await client.createQueue(name)
      const queue = client.queue(name)
      return {
        queue,
        deadLetterQueue: client.queue(`${name}-dlq`),
        sendUndecodable: () =>
          sendThroughDriver(name, { body: '{not json', contentType: 'application/json' }, client.driver),
        async start(handler: Handler<any>, triggerOptions: TriggerOptions<any>) {
          const pipeline = createTriggerPipeline(
            queue,
            handler,
            options.transform?.(triggerOptions) ?? triggerOptions,
          )
          const stopping = new AbortController()
          const loop = (async () => {
            while (!stopping.signal.aborted) {
              const messages = await queue.receive({
                maxMessages: 10,
                waitSeconds: 1,
                signal: stopping.signal,
              })
              await settle(queue, messages, await pipeline.run(messages), pipeline)
            }
          })()
          return {
            async stop() {
              stopping.abort()
              await loop
            },
          }
        },
        async close() {
          await client.deleteQueue(name)
          await client.deleteQueue(`${name}-dlq`)
        },
      }
    },
  }
}
