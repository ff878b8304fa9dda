import type { Handler, Queue, TriggerOptions } from '@anyqueue/queue-core'

/**
 * What a runner — a Lambda handler, a push endpoint, a Functions trigger, your own — provides to be
 * proven by the trigger section: "deliver these messages through your runner".
 */
export interface TriggerTarget {
  /** Shown in the test names. */
  name: string
  /** A fresh, empty queue for one case, with the runner's dead-letter queue. */
  open(): Promise<TriggerQueue>
}

export interface TriggerQueue {
  /** The suite sends the case's messages here with `send`. */
  queue: Queue<any>
  /** Where the runner's dead letters must arrive (`<name>-dlq` unless the runner says otherwise). */
  deadLetterQueue: Queue<any>
  /**
   * Puts one message whose body is not what its content type says — JSON content type, body
   * `{not json` — as another producer would. Leave it out where the backend cannot carry one: the
   * undecodable half of the invalid-payload case is then skipped.
   */
  sendUndecodable?(): Promise<void>
  /**
   * Starts delivering the queue's messages through the runner, built from `handler` and `options`
   * (pass both on unchanged: they are what `consume()` would take), until the returned `stop()`.
   * The suite waits for what it expects with generous deadlines of its own.
   */
  start(handler: Handler<any>, options: TriggerOptions<any>): Promise<{ stop(): Promise<void> }>
  /** Deletes what `open` made; called once per case, after `stop()`. */
  close(): Promise<void>
}

/** One promise of the trigger section. */
export interface TriggerCase {
  /** `trigger.<promise>`; stable. */
  id: string
  name: string
  run(target: TriggerQueue, options: TriggerCaseOptions): Promise<void>
}

export interface TriggerCaseOptions {
  /** How long a case waits for what it expects. Default 60 s. */
  deadlineMs?: number
}
