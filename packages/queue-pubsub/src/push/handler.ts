import {
  createTriggerPipeline,
  type Handler,
  type Message,
  type Queue,
  QueueError,
  type TriggerOptions,
} from '@anyqueue/queue-core'
import { DRIVER_NAME } from '../constants.js'
import { AttemptCounter } from './attempts.js'
import { NotAPushRequest, readPush } from './envelope.js'
import { PushAuthError, type PushAuthOptions, pushVerifier } from './oidc.js'

export interface PubSubPushOptions<T> extends TriggerOptions<T> {
  /** Verify the push subscription's OIDC token; without it every request is taken as Pub/Sub's. */
  auth?: PushAuthOptions
  /**
   * The push subscription's ack deadline, in seconds: Pub/Sub waits this long for the answer, so
   * the handler's `signal` aborts `settleMarginMs` before it. Default 10 (Pub/Sub's default).
   */
  ackDeadlineSeconds?: number
  /** Kept back from the ack deadline to dead-letter and answer. Default 1,000 ms. */
  settleMarginMs?: number
}

/** A web-standard request handler: Cloud Run, Hono, Deno, Bun, or `node:http` through `toNodeListener`. */
export type PushHandler = (request: Request) => Promise<Response>

/**
 * The endpoint of a Pub/Sub push subscription, running `handler` as `consume(queue, handler,
 * options)` would: the message decoded (wrapped envelope or unwrapped payload) and schema-checked,
 * `attempt` from `deliveryAttempt` (sent only when the subscription has a dead-letter policy;
 * without it the handler counts the deliveries of each message id itself, per process — see
 * `AttemptCounter`), `signal` aborted before the ack deadline. The answer settles the message:
 *
 * - `204` acks: the handler succeeded, or the message was dead-lettered;
 * - `500` nacks a failure below `maxAttempts`, `503` a `retry()` (Pub/Sub redelivers by the
 *   subscription's retry policy; the delay asked for is only sent as `Retry-After`);
 * - dead letters (undecodable, schema-invalid, `deadLetter(reason)`, `maxAttempts` reached) are
 *   published to the queue `consume()` uses (`deadLetterQueue`, default `<name>-dlq`) with the
 *   reason, then acked; if that publish fails the answer is `500`, so no message is lost;
 * - `400` for a body that is no push envelope, `401`/`403` for a missing or bad token, `405` for a
 *   method other than POST: all nacks, left to the subscription's own dead-letter policy.
 */
export function createPubSubPushHandler<T>(
  queue: Queue<T>,
  handler: Handler<T>,
  options: PubSubPushOptions<T> = {},
): PushHandler {
  const { auth, ackDeadlineSeconds = 10, settleMarginMs = 1_000, ...pipelineOptions } = options
  if (typeof ackDeadlineSeconds !== 'number' || !(ackDeadlineSeconds >= 10 && ackDeadlineSeconds <= 600)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `ackDeadlineSeconds must be a number from 10 to 600 (Pub/Sub's bounds), got ${String(ackDeadlineSeconds)}`,
      { field: 'ackDeadlineSeconds', limit: 600 },
    )
  }
  if (typeof settleMarginMs !== 'number' || !(settleMarginMs >= 0)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `settleMarginMs must be a number ≥ 0, got ${String(settleMarginMs)}`,
      {
        field: 'settleMarginMs',
      },
    )
  }
  const pipeline = createTriggerPipeline(queue, handler, pipelineOptions)
  if (queue.client.driver.name !== DRIVER_NAME) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `queue must be on the pubsub driver, got "${queue.client.driver.name}"`,
      {
        field: 'queue',
      },
    )
  }
  const attempts = new AttemptCounter()
  const verify = auth === undefined ? undefined : pushVerifier(auth)
  const timeoutMs = Math.max(1, ackDeadlineSeconds * 1000 - settleMarginMs)

  const deadLetter = async (message: Message<T>, reason: string): Promise<Response> => {
    try {
      await pipeline.deadLetter(message, reason)
      return answer(204)
    } catch (error) {
      pipeline.reportError(error, message)
      return answer(500, 'the dead-letter publish failed; redeliver')
    }
  }

  return async (request) => {
    if (request.method !== 'POST') return answer(405, 'push deliveries are POST requests', { allow: 'POST' })
    if (verify) {
      try {
        await verify(request.headers.get('authorization'))
      } catch (error) {
        if (error instanceof PushAuthError) return answer(error.status, error.message)
        throw error
      }
    }
    let message: Message<T>
    try {
      const push = await readPush(request)
      if (!push.deliveryAttempt) push.incoming.attempt = attempts.next(push.incoming.id)
      message = pipeline.decode(push.incoming)
    } catch (error) {
      if (error instanceof NotAPushRequest) return answer(400, error.message)
      throw error
    }
    const [outcome] = await pipeline.run([message], { timeoutMs, signal: request.signal })
    switch (outcome!.kind) {
      case 'ack':
        attempts.forget(message.id)
        return answer(204)
      case 'dead-letter': {
        const response = await deadLetter(message, outcome!.reason)
        if (response.status === 204) attempts.forget(message.id)
        return response
      }
      case 'retry':
        return answer(503, 'retry asked', { 'retry-after': String(Math.round(outcome!.delaySeconds)) })
      case 'fail':
        return answer(500, outcome!.timedOut ? 'the handler ran past its deadline' : 'the handler failed')
    }
  }
}

function answer(status: number, text?: string, headers: Record<string, string> = {}): Response {
  if (text === undefined) return new Response(null, { status, headers })
  return new Response(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } })
}
