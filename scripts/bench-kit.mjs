// Shared by every package's `pnpm bench`: time a workload, and print results as ratios against a
// baseline run in the same process. No thresholds here: numbers are for reading, not asserting.

/** Runs `work` once and returns messages per second. */
export async function rate(messages, work) {
  const started = process.hrtime.bigint()
  await work()
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  return messages / seconds
}

/** Prints rows of { name, subject, baseline } rates with subject ÷ baseline. */
export function report(title, subjectName, baselineName, rows) {
  const lines = [
    '',
    title,
    `${'workload'.padEnd(38)}${subjectName.padStart(14)}${baselineName.padStart(14)}${'ratio'.padStart(8)}`,
  ]
  for (const { name, subject, baseline } of rows) {
    lines.push(
      `${name.padEnd(38)}${fmt(subject).padStart(14)}${fmt(baseline).padStart(14)}${(subject / baseline).toFixed(2).padStart(8)}`,
    )
  }
  lines.push('(messages/s; ratio = anyqueue ÷ baseline, higher is better, 1.00 = no overhead)')
  console.log(lines.join('\n'))
}

const fmt = (n) => `${Math.round(n).toLocaleString('en-US')}`

/**
 * Runs `calls` rounds of one call per side, alternating, and returns each side's messages/s from
 * the time of its own calls only — so a backend that drifts as it runs hits both sides alike.
 * A side's call returns how many messages it handled, or nothing for `perCall`.
 */
export async function interleaved(calls, perCall, sides) {
  const time = { subject: 0, baseline: 0 }
  const count = { subject: 0, baseline: 0 }
  for (let i = 0; i < calls; i++) {
    for (const side of ['baseline', 'subject']) {
      const started = process.hrtime.bigint()
      const handled = await sides[side]()
      time[side] += Number(process.hrtime.bigint() - started) / 1e9
      count[side] += typeof handled === 'number' ? handled : perCall
    }
  }
  return { subject: count.subject / time.subject, baseline: count.baseline / time.baseline }
}

/**
 * The anyqueue side of every driver bench: one send, a sendBatch of 10, and a receive of 10 with
 * ackBatch, each on a portable `Queue`. `receiveAck` returns how many messages it handled.
 */
export function portableSteps(payload) {
  const tenEntries = Array.from({ length: 10 }, () => ({ payload }))
  return {
    sendOne: (queue) => queue.send(payload),
    sendTen: (queue) => queue.sendBatch(tenEntries),
    async receiveAck(queue) {
      const messages = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
      await queue.ackBatch(messages)
      return messages.length
    },
  }
}

/**
 * Runs one step of a workload on both sides, interleaved call by call: `raw[step](targets.raw)`
 * as the baseline, `portable[step](targets.anyqueue)` as the subject.
 */
export function stepComparer(raw, portable) {
  return (calls, perCall, step, targets) =>
    interleaved(calls, perCall, {
      baseline: () => raw[step](targets.raw),
      subject: () => portable[step](targets.anyqueue),
    })
}

/**
 * consume() throughput with a no-op handler at each concurrency, against the loop a user would
 * write by hand (receive 10, ackBatch) on the same queue, filled afresh before each run.
 * `consume` is passed in so this file needs no package of its own.
 */
export async function consumerRows(consume, queue, messages, concurrencies, payload) {
  const entries = Array.from({ length: 10 }, () => ({ payload }))
  const fill = async () => {
    for (let b = 0; b < messages / 10; b++) await queue.sendBatch(entries)
  }
  const rows = []
  for (const concurrency of concurrencies) {
    await fill()
    const baseline = await rate(messages, () => drainLoop(queue, messages))
    await fill()
    const subject = await rate(messages, () => drainWith(consume, queue, messages, concurrency))
    rows.push({ name: `consume, concurrency ${concurrency}`, subject, baseline })
  }
  return rows
}

/** consumerRows for concurrency 1, 8 and 32, printed as one report titled with `label`. */
export async function reportConsumer(label, consume, queue, messages, payload) {
  report(
    `consumer on ${label} — ${messages.toLocaleString('en-US')} messages, no-op handler; manual loop = receive 10 + ackBatch`,
    'consume()',
    'manual loop',
    await consumerRows(consume, queue, messages, [1, 8, 32], payload),
  )
}

/**
 * consume() at one concurrency against the manual loop (receive 10, ackBatch), in `rounds`
 * alternating rounds on the same queue, filled afresh before each side's turn: each side's rate
 * is its messages over the time of its own rounds only, so a backend that drifts hits both alike.
 * Returns { subject: consume(), baseline: manual loop } in messages/s.
 */
export async function consumeVsLoop(consume, queue, { messages, concurrency, rounds, payload }) {
  const entries = Array.from({ length: 10 }, () => ({ payload }))
  const fill = async () => {
    for (let b = 0; b < messages / 10; b++) await queue.sendBatch(entries)
  }
  const time = { subject: 0, baseline: 0 }
  const timed = async (side, work) => {
    await fill()
    const started = process.hrtime.bigint()
    await work()
    time[side] += Number(process.hrtime.bigint() - started) / 1e9
  }
  for (let round = 0; round < rounds; round++) {
    await timed('baseline', () => drainLoop(queue, messages))
    await timed('subject', () => drainWith(consume, queue, messages, concurrency))
  }
  return { subject: (messages * rounds) / time.subject, baseline: (messages * rounds) / time.baseline }
}

/** The manual loop: receives 10 at a time and acks each batch until `messages` were received. */
export async function drainLoop(queue, messages) {
  for (let got = 0; got < messages; ) {
    const batch = await queue.receive({ maxMessages: 10, waitSeconds: 1 })
    await queue.ackBatch(batch)
    got += batch.length
  }
}

/** Runs consume() with a no-op handler until `messages` were handled, then stops it. */
export async function drainWith(consume, queue, messages, concurrency) {
  let handled = 0
  let finish
  const finished = new Promise((resolve) => {
    finish = resolve
  })
  const consumer = consume(
    queue,
    () => {
      if (++handled === messages) finish()
    },
    { concurrency, waitSeconds: 1 },
  )
  await finished
  await consumer.stop()
}
