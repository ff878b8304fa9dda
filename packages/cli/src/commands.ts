import {
  type Message,
  type Payload,
  type Queue,
  type QueueClient,
  QueueError,
  redrivenAttributes,
} from '@anyqueue/queue-core'
import { RefusedError, UsageError } from './exit-codes.js'
import { leftAfterPurge, printCount, printPeek, visibleCount } from './look.js'
import type { Output } from './output.js'
import type { Progress } from './progress.js'

/** What every command gets. */
export interface CommandContext {
  client: QueueClient
  out: Output
  /** For long commands; started with the total once it is known. */
  progress: (label: string) => Progress
  /** Aborted on Ctrl-C. */
  signal: AbortSignal
}

export async function listQueues({ client, out }: CommandContext): Promise<void> {
  const { driver } = client
  if (!driver.listQueues) {
    throw new QueueError('NOT_SUPPORTED', `the ${driver.name} driver cannot list its queues`, {
      driver: driver.name,
    })
  }
  const names = await driver.listQueues()
  out.result(names.join('\n') || '(no queues)', names)
}

/** Counts from `stats()` (visible, in flight, delayed …), never by receiving where the driver can. */
export async function count({ client, out }: CommandContext, queue: string): Promise<void> {
  await printCount(out, client.queue(queue))
}

/**
 * Shows messages without a lease (`peek()`); on a driver that can only look by receiving, only with
 * `lease`, and then each shown message counts a delivery.
 */
export async function peek(
  { client, out }: CommandContext,
  queue: string,
  max: number,
  lease = false,
): Promise<void> {
  const q = client.queue(queue)
  await printPeek(out, q, max, lease, async () => {
    const seen = await receiveUpTo(q, max)
    for (const m of seen) out.message(m)
    await Promise.all(seen.map((m) => q.nack(m))) // visible again at once; the delivery is counted
    if (!out.json && seen.length === 0) out.result('(no visible messages)', null)
  })
}

export async function send(
  { client, out }: CommandContext,
  queue: string,
  payload: Payload,
  options: { delaySeconds?: number; attributes?: Record<string, string> },
): Promise<void> {
  const { id } = await client.queue(queue).send(payload, options)
  out.result(id, { queue, id })
}

export async function receive(
  { client, out }: CommandContext,
  queue: string,
  options: { max: number; waitSeconds: number },
): Promise<void> {
  const q = client.queue(queue)
  const got = await q.receive({ maxMessages: Math.min(options.max, 10), waitSeconds: options.waitSeconds })
  for (const m of got) out.message(m)
  if (got.length > 0) await q.ackBatch(got)
  if (!out.json && got.length === 0) out.result('(no messages)', null)
}

/**
 * Moves messages from `from` to `to`, each sent before it is acked (a failure midway duplicates,
 * never loses), dropping the `dlq-` attributes the consumer added and keeping the id each had as
 * `dlq-original-id`, as `redrive()` of @anyqueue/queue-core does.
 */
export async function redrive(
  ctx: CommandContext,
  from: string,
  to: string,
  limit: number = Number.POSITIVE_INFINITY,
): Promise<void> {
  if (from === to) {
    // Each message moved would be received again: the command would never end, and duplicate all.
    throw new UsageError(`redrive moves messages to another queue: "${from}" is both <from> and <to>`)
  }
  const source = ctx.client.queue(from)
  const target = ctx.client.queue(to)
  const moved = await drainWithProgress(ctx, source, `redrive ${from} → ${to}`, limit, async (batch) => {
    const results = await target.sendBatch(
      batch.map((m) => ({ payload: m.payload, attributes: redrivenAttributes(m) })),
    )
    const failed = results.find((r) => !r.ok)
    if (failed && !failed.ok) throw failed.error
  })
  ctx.out.result(`moved ${moved} message(s) from ${from} to ${to}`, { from, to, moved })
}

export async function purge(ctx: CommandContext, queue: string, yes: boolean): Promise<void> {
  if (!yes)
    throw new RefusedError(`purge deletes every message of "${queue}" for good: add --yes to go ahead`)
  const deleted = await drainWithProgress(
    ctx,
    ctx.client.queue(queue),
    `purge ${queue}`,
    Number.POSITIVE_INFINITY,
    async () => {},
  )
  // In-flight (leased) and delayed messages are not visible, so not deleted: say what stays.
  const left = await leftAfterPurge(ctx.client.queue(queue))
  const stays = [
    left.inFlight ? `${left.inFlight} in flight (leased; they come back if not acked)` : '',
    left.delayed ? `${left.delayed} delayed (not yet due)` : '',
  ].filter(Boolean)
  ctx.out.result(
    `deleted ${deleted} message(s) from ${queue}${stays.length > 0 ? `; not deleted: ${stays.join(', ')}` : ''}`,
    { queue, deleted, ...(stays.length > 0 && { notDeleted: left }) },
  )
}

export async function create({ client, out }: CommandContext, queue: string): Promise<void> {
  await client.createQueue(queue)
  out.result(`created ${queue} (or it existed)`, { queue, created: true })
}

export async function remove({ client, out }: CommandContext, queue: string, yes: boolean): Promise<void> {
  if (!yes) throw new RefusedError(`delete removes "${queue}" and every message in it: add --yes to go ahead`)
  await client.deleteQueue(queue)
  out.result(`deleted queue ${queue}`, { queue, deleted: true })
}

/**
 * Follows a queue: prints each message as it arrives and acks it (`ack: false` leaves it leased;
 * it returns to the queue when the lease ends, and is printed once). Ends on Ctrl-C or after `max`.
 */
export async function tail(
  { client, out, signal }: CommandContext,
  queue: string,
  options: { ack: boolean; max: number; waitSeconds: number },
): Promise<void> {
  const q = client.queue(queue)
  const printed = new Set<string>()
  while (!signal.aborted && printed.size < options.max) {
    const got = await q.receive({
      maxMessages: Math.min(10, options.max - printed.size),
      waitSeconds: options.waitSeconds,
      signal,
    })
    const fresh = got.filter((m) => !printed.has(m.id))
    for (const m of fresh) {
      printed.add(m.id)
      out.message(m)
    }
    if (options.ack && got.length > 0) await q.ackBatch(got)
  }
}

async function receiveUpTo(queue: Queue, max: number): Promise<Message[]> {
  const seen = new Map<string, Message>()
  while (seen.size < max) {
    const got = await queue.receive({ maxMessages: Math.min(10, max - seen.size), waitSeconds: 0 })
    const fresh = got.filter((m) => !seen.has(m.id))
    if (fresh.length === 0) {
      await Promise.all(got.map((m) => queue.nack(m)))
      break
    }
    for (const m of fresh) seen.set(m.id, m)
  }
  return [...seen.values()]
}

/** Receives and acks batches until the queue has nothing visible (or `limit`), with a progress bar. */
async function drainWithProgress(
  ctx: CommandContext,
  queue: Queue,
  label: string,
  limit: number,
  handle: (batch: Message[]) => Promise<void>,
): Promise<number> {
  const progress = ctx.progress(label)
  progress.start(Math.min(limit, await visibleCount(queue)))
  let done = 0
  try {
    while (done < limit && !ctx.signal.aborted) {
      const batch = await queue.receive({ maxMessages: Math.min(10, limit - done), waitSeconds: 0 })
      if (batch.length === 0) break
      await handle(batch)
      await queue.ackBatch(batch)
      done += batch.length
      progress.increment(batch.length)
    }
  } finally {
    progress.stop()
  }
  return done
}

/** Parses `name=value` attribute options; a name given twice is an error, never a silent pick. */
export function parseAttributes(pairs: readonly string[]): Record<string, string> {
  const attributes = new Map<string, string>()
  for (const pair of pairs) {
    const at = pair.indexOf('=')
    if (at <= 0) throw new UsageError(`--attribute takes name=value, got "${pair}"`)
    const name = pair.slice(0, at)
    const value = pair.slice(at + 1)
    const earlier = attributes.get(name)
    if (earlier !== undefined) {
      throw new UsageError(
        `attribute "${name}" is given twice (${name}=${earlier} and ${name}=${value}): give each name once`,
      )
    }
    attributes.set(name, value)
  }
  return Object.fromEntries(attributes)
}

/**
 * The body read from stdin (`send <queue> -`) without the one line ending that `echo`, a heredoc
 * or a file's last line adds: exactly one trailing `\n` or `\r\n` goes, anything before it stays.
 */
export function stdinBody(text: string): string {
  return text.replace(/\r?\n$/, '')
}

/** The body of `send`: text as given, or with `--type json` a JSON value. */
export function parseBody(body: string, type: string): Payload {
  if (type === 'text') return body
  if (type !== 'json') throw new UsageError(`--type is text or json, got "${type}"`)
  try {
    return JSON.parse(body) as Payload
  } catch (error) {
    throw new UsageError(
      `the body is not JSON (${(error as Error).message}); drop --type json to send it as text`,
    )
  }
}
