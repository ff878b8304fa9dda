import assert from 'node:assert/strict'
import type { Payload } from '@anyqueue/queue-core'
import type { Capabilities } from '@anyqueue/queue-core/driver'
import { consumerCases } from './consumer-cases.js'
import type { CaseContext } from './context.js'
import {
  drain,
  expectNeverFor,
  expectNothingFor,
  expectQueueError,
  receiveOne,
  receiveUntil,
  sleep,
} from './helpers.js'
import type { ConformanceTarget } from './target.js'

/** One promise of the contract, stated in a few lines. */
export interface ConformanceCase {
  name: string
  /** Why the case does not apply to a driver with these capabilities; undefined when it does. */
  skip?: (capabilities: Capabilities, target: ConformanceTarget) => string | undefined
  /** Longest the case may take, in ms, given the driver's lease. */
  timeoutMs?: (leaseMs: number) => number
  run(ctx: CaseContext): Promise<void>
}

const unicode = 'héllo wörld — 你好 — مرحبا — 🎉👩🏽‍💻 — e\u0301 — \u0000nul'

/** The four primitives: send, receive, ack, lease — and what surrounds them. */
export const queueCases: ConformanceCase[] = [
  {
    name: 'round trip: text comes back as the same string',
    async run(ctx) {
      const queue = await ctx.queue()
      const texts = ['plain text', '', unicode, '{"looks":"like json"}', '42', 'null', ' padded \n']
      for (const text of texts) await queue.send(text)
      const got = await drain(queue, texts.length)
      assert.deepEqual(got.map((m) => m.payload).sort(), [...texts].sort())
      for (const m of got) assert.equal(typeof m.payload, 'string')
    },
  },
  {
    name: 'round trip: JSON comes back as an equal value of the same type',
    async run(ctx) {
      const queue = await ctx.queue()
      const values: Payload[] = [
        { nested: { deep: [1, 'two', { three: [null, true, false] }] }, unicode },
        [1, 2.5, -3e-7, 'x', [], {}],
        0,
        -17.25,
        true,
        false,
        null,
        { '': 'empty key', 'key with spaces': 'ok', '🔑': '✓' },
      ]
      const ids = new Map<string, Payload>()
      for (const value of values) ids.set((await queue.send(value)).id, value)
      const got = await drain(queue, values.length)
      assert.equal(got.length, values.length)
      for (const m of got) assert.deepStrictEqual(m.payload, ids.get(m.id), `message ${m.id}`)
    },
  },
  {
    name: 'size: 65,536 UTF-8 bytes are accepted and arrive intact',
    async run(ctx) {
      const queue = await ctx.queue()
      const text = 'é'.repeat(32_768) // two bytes each in UTF-8: exactly 65,536 bytes
      const json = { k: 'a'.repeat(65_536 - '{"k":""}'.length) }
      assert.equal(Buffer.byteLength(text), 65_536)
      assert.equal(Buffer.byteLength(JSON.stringify(json)), 65_536)
      await queue.send(text)
      await queue.send(json)
      const got = await drain(queue, 2)
      assert.ok(
        got.some((m) => m.payload === text),
        'the 65,536-byte text came back different',
      )
      assert.ok(
        got.some((m) => JSON.stringify(m.payload) === JSON.stringify(json)),
        'the 65,536-byte JSON came back different',
      )
    },
  },
  {
    name: 'size: 65,537 UTF-8 bytes are rejected with MESSAGE_TOO_LARGE, nothing sent',
    async run(ctx) {
      const queue = await ctx.queue()
      const text = `${'é'.repeat(32_768)}a` // 32,769 characters, 65,537 bytes
      const error = await expectQueueError(() => queue.send(text), 'MESSAGE_TOO_LARGE', 'a 65,537-byte text')
      assert.match(error.message, /65536/, 'the message should name the limit')
      assert.equal(error.field, 'payload')
      const json = { k: 'a'.repeat(65_537 - '{"k":""}'.length) }
      await expectQueueError(() => queue.send(json), 'MESSAGE_TOO_LARGE', 'a 65,537-byte JSON value')
      await expectQueueError(
        () => queue.sendBatch([{ payload: 'fine' }, { payload: text }]),
        'MESSAGE_TOO_LARGE',
        'a batch with one oversize entry',
      )
      await expectNeverFor(queue, 1_000, 'rejected messages must not be sent')
    },
  },
  {
    name: 'invalid payloads are rejected with INVALID_PAYLOAD, nothing sent',
    async run(ctx) {
      const queue = await ctx.queue<any>()
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const invalid: Array<[string, unknown]> = [
        ['undefined', undefined],
        ['a function', () => 1],
        ['a BigInt', 10n],
        ['a symbol', Symbol('s')],
        ['NaN', Number.NaN],
        ['Infinity', Number.POSITIVE_INFINITY],
        ['a cycle', cyclic],
        ['a lone surrogate in text', 'bad \ud800 text'],
        ['a lone surrogate in JSON', { text: '\udfff' }],
        ['undefined inside an object', { a: undefined }],
        ['a function inside an array', [1, () => 2]],
        ['a Map', new Map([['a', 1]])],
        ['a Date', new Date()],
        // biome-ignore lint/suspicious/noSparseArray: a hole is exactly what this entry tests
        ['a sparse array', [1, , 3]],
      ]
      for (const [what, payload] of invalid) {
        await expectQueueError(() => queue.send(payload), 'INVALID_PAYLOAD', what)
      }
      await expectNeverFor(queue, 1_000, 'rejected messages must not be sent')
    },
  },
  {
    name: 'queue names: invalid ones are INVALID_QUEUE_NAME; 1 and 64 characters work',
    async run(ctx) {
      for (const name of ['', 'a'.repeat(65), 'has space', 'dot.ted', 'slash/ed', 'ünï', 'emoji🎉', 'a:b']) {
        await expectQueueError(() => ctx.client.queue(name), 'INVALID_QUEUE_NAME', JSON.stringify(name))
        await expectQueueError(() => ctx.client.createQueue(name), 'INVALID_QUEUE_NAME', JSON.stringify(name))
      }
      for (const length of [1, 64]) {
        const queue = await ctx.queue(ctx.uniqueName(length))
        await queue.send(`name of ${length}`)
        const m = await receiveOne(queue)
        assert.equal(m.payload, `name of ${length}`)
        await queue.ack(m)
      }
    },
  },
  {
    name: 'receive: maxMessages outside 1..10 and bad waitSeconds are INVALID_ARGUMENT',
    async run(ctx) {
      const queue = await ctx.queue()
      for (const maxMessages of [0, 11, 1.5, -1, Number.NaN]) {
        await expectQueueError(
          () => queue.receive({ maxMessages }),
          'INVALID_ARGUMENT',
          `maxMessages ${maxMessages}`,
        )
      }
      for (const waitSeconds of [-1, 21, Number.NaN]) {
        await expectQueueError(
          () => queue.receive({ waitSeconds }),
          'INVALID_ARGUMENT',
          `waitSeconds ${waitSeconds}`,
        )
      }
    },
  },
  {
    name: 'receive: never more messages than asked for',
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: i })))
      const seen = new Set<string>()
      for (const maxMessages of [1, 3, 10]) {
        const got = await queue.receive({ maxMessages, waitSeconds: 2 })
        assert.ok(got.length <= maxMessages, `asked for ${maxMessages}, got ${got.length}`)
        for (const m of got) seen.add(m.id)
        await queue.ackBatch(got)
      }
      assert.ok(seen.size > 0, 'no message was received at all')
    },
  },
  {
    name: 'long poll: an empty queue answers [] after about waitSeconds',
    async run(ctx) {
      const queue = await ctx.queue()
      const started = Date.now()
      const got = await queue.receive({ maxMessages: 10, waitSeconds: 2 })
      const elapsed = Date.now() - started
      assert.deepEqual(got, [])
      assert.ok(elapsed >= 1_500, `returned after ${elapsed} ms; a 2 s long poll must wait`)
      assert.ok(elapsed < 12_000, `returned after ${elapsed} ms; a 2 s long poll must not hang`)
    },
  },
  {
    name: 'long poll: a message sent during the wait is returned promptly',
    async run(ctx) {
      const queue = await ctx.queue()
      const started = Date.now()
      const receiving = queue.receive({ maxMessages: 1, waitSeconds: 20 })
      await sleep(500)
      await queue.send('during the wait')
      const got = await receiving
      const elapsed = Date.now() - started
      assert.equal(got.length, 1, 'the long poll ended without the message')
      assert.equal(got[0]!.payload, 'during the wait')
      assert.ok(elapsed < 15_000, `took ${elapsed} ms: the poll should end when the message arrives`)
      await queue.ack(got[0]!)
    },
  },
  {
    name: 'message metadata: id, attempt 1, enqueuedAt and an opaque receipt handle',
    async run(ctx) {
      const queue = await ctx.queue()
      const before = Date.now()
      const { id } = await queue.send('meta')
      const m = await receiveOne(queue)
      assert.equal(m.id, id, 'the received id should be the id send resolved with')
      assert.equal(m.attempt, 1)
      assert.ok(m.enqueuedAt instanceof Date, 'enqueuedAt should be a Date')
      const skew = 60_000 // emulators and cloud clocks may drift a little from ours
      assert.ok(Math.abs(m.enqueuedAt.getTime() - before) < skew, `enqueuedAt ${m.enqueuedAt.toISOString()}`)
      assert.equal(typeof m.receiptHandle, 'string')
      assert.ok(m.receiptHandle.length > 0)
      await queue.ack(m)
    },
  },
  {
    name: 'attributes: sent with a message, they come back as they were',
    async run(ctx) {
      const queue = await ctx.queue()
      const attributes = {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tenant: 'acme_co-1',
        unicode: 'héllo 🎉',
        long: 'v'.repeat(1_024),
      }
      await queue.sendBatch([{ payload: 'with', attributes }, { payload: 'without' }])
      const got = await drain(queue, 2)
      const by = new Map(got.map((m) => [m.payload, m.attributes]))
      assert.deepEqual(by.get('with'), attributes)
      assert.deepEqual(by.get('without'), {}, 'a message sent without attributes has none')
    },
  },
  {
    name: 'a message without a content type (another producer) arrives as text',
    async run(ctx) {
      const queue = await ctx.queue()
      const body = '{"from":"another tool"}'
      const [result] = await ctx.client.driver.sendBatch(queue.name, [
        { body, contentType: undefined, bytes: Buffer.byteLength(body), delaySeconds: 0, attributes: {} },
      ])
      assert.ok(result && 'id' in result, 'the raw send failed')
      const m = await receiveOne(queue)
      assert.equal(m.payload, body, 'it should be delivered as the same text, not parsed or dropped')
      await queue.ack(m)
    },
  },
  {
    name: 'lease: a received message is hidden from a second receiver',
    async run(ctx) {
      const queue = await ctx.queue()
      const other = ctx.client.queue(queue.name)
      await queue.send('leased')
      const m = await receiveOne(queue)
      await expectNothingFor(other, ctx.leaseMs / 2, 'the message must stay hidden during its lease')
      await queue.ack(m)
    },
  },
  {
    name: 'lease: an unacked message comes back after the lease with attempt + 1',
    timeoutMs: (lease) => lease * 4 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      const { id } = await queue.send('comes back')
      const leasedAt = Date.now() // a lower bound of when the backend started the lease
      const first = await receiveOne(queue)
      assert.equal(first.attempt, 1)
      const again = await receiveOne(queue, ctx.leaseMs * 3 + 10_000)
      const after = Date.now() - leasedAt
      assert.equal(again.id, id)
      assert.equal(again.attempt, 2, 'attempt should grow by one on redelivery')
      assert.ok(
        after >= ctx.leaseMs * 0.9,
        `redelivered after ${after} ms, before the ${ctx.leaseMs} ms lease ended`,
      )
      await queue.ack(again)
    },
  },
  {
    name: 'lease: renewLease keeps the message hidden past the first lease',
    skip: (caps) => (caps.renewLease ? undefined : 'the driver declares renewLease: false'),
    timeoutMs: (lease) => lease * 4 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('renewed')
      const m = await receiveOne(queue)
      const leasedAt = Date.now()
      await sleep(ctx.leaseMs * 0.5)
      await queue.renewLease(m)
      // The first lease ends at 1.0; the renewed one at about 1.5. Watch until 1.3.
      const late = await expectNothingFor(
        queue,
        leasedAt + ctx.leaseMs * 1.3 - Date.now(),
        'renewed message redelivered',
      )
      const back = late[0] ?? (await receiveOne(queue, ctx.leaseMs * 3 + 10_000))
      assert.equal(back.id, m.id, 'after the renewed lease, the message comes back')
      assert.equal(back.attempt, 2)
      await queue.ack(back)
    },
  },
  {
    name: 'nack: ends the lease early, the message comes back with attempt + 1',
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('nacked')
      const m = await receiveOne(queue)
      const nackedAt = Date.now()
      await queue.nack(m)
      const back = await receiveOne(queue, ctx.leaseMs / 2)
      assert.ok(Date.now() - nackedAt < ctx.leaseMs, 'the nacked message waited out its lease')
      assert.equal(back.id, m.id)
      assert.equal(back.attempt, 2)
      await queue.ack(back)
    },
  },
  {
    name: 'nack: with delaySeconds the message stays hidden for the delay',
    skip: (caps) => (caps.nackDelay >= 2 ? undefined : `the driver declares nackDelay: ${caps.nackDelay}`),
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('nacked with delay')
      const m = await receiveOne(queue)
      const nackedAt = Date.now() // windows start before the call: the backend's clock starts during it
      await queue.nack(m, { delaySeconds: 2 })
      const late = await expectNothingFor(
        queue,
        nackedAt + 1_500 - Date.now(),
        'the delayed nack came back too soon',
      )
      const back = late[0] ?? (await receiveOne(queue, 15_000))
      assert.ok(Date.now() - nackedAt >= 1_800, 'came back before the nack delay')
      assert.equal(back.id, m.id)
      await queue.ack(back)
    },
  },
  {
    name: 'send: delaySeconds keeps a message invisible for the delay',
    skip: (caps) => (caps.delay > 0 ? undefined : 'the driver declares delay: 0 (no delayed send)'),
    async run(ctx) {
      const queue = await ctx.queue()
      const sentAt = Date.now()
      await queue.send('later', { delaySeconds: 2 })
      const late = await expectNothingFor(
        queue,
        sentAt + 1_500 - Date.now(),
        'the delayed message arrived too soon',
      )
      const m = late[0] ?? (await receiveOne(queue, 15_000))
      assert.ok(Date.now() - sentAt >= 1_800, 'arrived before its delay')
      assert.equal(m.payload, 'later')
      await queue.ack(m)
    },
  },
  {
    name: 'send and nack: a delay beyond the declared maximum is rejected before any I/O',
    async run(ctx) {
      const queue = await ctx.queue()
      const max = ctx.capabilities.delay
      const code = max === 0 ? 'NOT_SUPPORTED' : 'INVALID_ARGUMENT'
      await expectQueueError(
        () => queue.send('x', { delaySeconds: max + 1 }),
        code,
        `delaySeconds ${max + 1}`,
      )
      await expectQueueError(
        () => queue.send('x', { delaySeconds: -1 }),
        'INVALID_ARGUMENT',
        'delaySeconds -1',
      )
      await expectQueueError(
        () => queue.send('x', { delaySeconds: 0.5 }),
        'INVALID_ARGUMENT',
        'delaySeconds 0.5',
      )
      await queue.send('to nack')
      const m = await receiveOne(queue)
      const nackMax = Math.min(ctx.capabilities.nackDelay, 43_200)
      await expectQueueError(
        () => queue.nack(m, { delaySeconds: nackMax + 1 }),
        nackMax === 0 ? 'NOT_SUPPORTED' : 'INVALID_ARGUMENT',
        `nack delaySeconds ${nackMax + 1}`,
      )
      await queue.ack(m)
    },
  },
  {
    name: 'ack: removes the message for good',
    timeoutMs: (lease) => lease * 3 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('acked')
      const m = await receiveOne(queue)
      await queue.ack(m)
      await expectNeverFor(queue, ctx.leaseMs * 1.5 + 1_000, 'an acked message came back')
    },
  },
  {
    name: 'ack: twice is a safe no-op',
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('twice')
      const m = await receiveOne(queue)
      await queue.ack(m)
      await queue.ack(m)
      await queue.ackBatch([m, m])
    },
  },
  {
    name: 'ack: with a handle whose lease expired is a safe no-op',
    timeoutMs: (lease) => lease * 4 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('late')
      const first = await receiveOne(queue)
      const again = await receiveOne(queue, ctx.leaseMs * 3 + 10_000) // the first lease has expired
      assert.equal(again.id, first.id)
      await queue.ack(first) // stale handle: resolves, whatever the backend does with it
      await queue.ack(again)
      await queue.ack(first)
    },
  },
  {
    name: 'ack, nack, renewLease: a string that is no receipt handle is INVALID_RECEIPT_HANDLE',
    async run(ctx) {
      const queue = await ctx.queue()
      for (const handle of ['', 'garbage', ' ', 'x'.repeat(3)]) {
        await expectQueueError(
          () => queue.ack(handle),
          'INVALID_RECEIPT_HANDLE',
          `ack(${JSON.stringify(handle)})`,
        )
        await expectQueueError(() => queue.nack(handle), 'INVALID_RECEIPT_HANDLE', 'nack')
      }
      await expectQueueError(() => queue.ack(42 as unknown as string), 'INVALID_RECEIPT_HANDLE', 'ack(42)')
    },
  },
  {
    name: 'at-least-once under load: every message of a concurrent run is delivered, none lost',
    timeoutMs: () => 180_000,
    async run(ctx) {
      const queue = await ctx.queue<{ n: number }>()
      const total = ctx.target.loadMessages ?? 1_000
      const sent = new Set<string>()
      const batches = Array.from({ length: Math.ceil(total / 10) }, (_, b) =>
        Array.from({ length: Math.min(10, total - b * 10) }, (_, i) => ({ payload: { n: b * 10 + i } })),
      )
      for (let i = 0; i < batches.length; i += 8) {
        const results = await Promise.all(batches.slice(i, i + 8).map((batch) => queue.sendBatch(batch)))
        for (const r of results.flat()) {
          if (!r.ok) throw r.error
          sent.add(r.id)
        }
      }
      const acked = new Set<string>()
      const numbers = new Set<number>()
      let deliveries = 0
      const deadline = Date.now() + 150_000
      // Receivers ack at once, so once nothing arrived for two leases, nothing more will.
      const quietMs = ctx.leaseMs * 2 + 5_000
      let lastDelivery = Date.now()
      const receiver = async () => {
        while (acked.size < total && Date.now() < deadline && Date.now() - lastDelivery < quietMs) {
          const got = await queue.receive({ maxMessages: 10, waitSeconds: 1 })
          if (got.length > 0) lastDelivery = Date.now()
          deliveries += got.length
          await queue.ackBatch(got)
          for (const m of got) {
            acked.add(m.id)
            numbers.add(m.payload.n)
          }
        }
      }
      await Promise.all([receiver(), receiver(), receiver(), receiver()])
      const lost = [...sent].filter((id) => !acked.has(id))
      ctx.note(`${total} messages, 4 receivers: ${deliveries - acked.size} duplicate deliveries`)
      assert.equal(lost.length, 0, `${lost.length} of ${total} sent messages were never delivered`)
      assert.equal(numbers.size, total, 'every payload should arrive')
    },
  },
  {
    name: 'isolation: two queues never see each other’s messages',
    async run(ctx) {
      const a = await ctx.queue()
      const b = await ctx.queue()
      await a.send('for a')
      await b.send('for b')
      const fromA = await drain(a, 1)
      const fromB = await drain(b, 1)
      assert.deepEqual(
        fromA.map((m) => m.payload),
        ['for a'],
      )
      assert.deepEqual(
        fromB.map((m) => m.payload),
        ['for b'],
      )
      await expectNeverFor(a, 500, 'queue a received more than its own message')
    },
  },
  {
    name: 'sendBatch: ten messages, one result each, all delivered',
    async run(ctx) {
      const queue = await ctx.queue()
      const results = await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: { i } })))
      assert.equal(results.length, 10)
      const ids = results.map((r) => {
        assert.ok(r.ok, `entry failed: ${r.ok ? '' : r.error.message}`)
        return r.id
      })
      assert.equal(new Set(ids).size, 10, 'ids must be distinct')
      const got = await drain(queue, 10)
      assert.deepEqual(new Set(got.map((m) => m.id)), new Set(ids))
    },
  },
  {
    name: 'sendBatch: 0 or 11 entries, or one invalid entry, reject the whole call before any I/O',
    async run(ctx) {
      const queue = await ctx.queue<any>()
      await expectQueueError(() => queue.sendBatch([]), 'INVALID_ARGUMENT', 'an empty batch')
      const eleven = Array.from({ length: 11 }, (_, i) => ({ payload: i }))
      await expectQueueError(() => queue.sendBatch(eleven), 'INVALID_ARGUMENT', 'a batch of 11')
      const error = await expectQueueError(
        () => queue.sendBatch([{ payload: 'ok' }, { payload: undefined }]),
        'INVALID_PAYLOAD',
        'a batch with an undefined payload',
      )
      assert.equal(error.field, 'messages[1].payload', 'the error should name the entry')
      await expectNeverFor(queue, 1_000, 'a rejected batch must send nothing')
    },
  },
  {
    name: 'close: waits for in-flight calls, then every call is CLOSED',
    async run(ctx) {
      const name = (await ctx.queue()).name
      const queue = ctx.client.queue(name)
      const sending = queue.send('in flight')
      const closing = queue.close()
      const { id } = await sending // close must let it finish, not cut it off
      await closing
      await expectQueueError(() => queue.send('after close'), 'CLOSED', 'send after close')
      await expectQueueError(() => queue.receive({ waitSeconds: 0 }), 'CLOSED', 'receive after close')
      const m = await receiveOne(ctx.client.queue(name))
      assert.equal(m.id, id, 'the in-flight send should have been delivered')
      await ctx.client.queue(name).ack(m)
      const client = await ctx.reopen()
      await client.close()
      await expectQueueError(() => client.queue(name), 'CLOSED', 'client.queue after close')
      await expectQueueError(() => client.createQueue(name), 'CLOSED', 'createQueue after close')
    },
  },
  {
    name: 'close: cuts a pending long poll short',
    async run(ctx) {
      const queue = ctx.client.queue((await ctx.queue()).name)
      const started = Date.now()
      const polling = queue.receive({ waitSeconds: 20 })
      await sleep(200)
      await queue.close()
      assert.deepEqual(await polling, [], 'a poll cut short by close resolves empty')
      assert.ok(Date.now() - started < 19_000, 'close waited out the whole long poll')
    },
  },
  {
    name: 'missing queue: QUEUE_NOT_FOUND on first use',
    async run(ctx) {
      const queue = ctx.client.queue(ctx.uniqueName())
      await expectQueueError(() => queue.send('nowhere'), 'QUEUE_NOT_FOUND', 'send to a missing queue')
      await expectQueueError(() => queue.receive({ waitSeconds: 0 }), 'QUEUE_NOT_FOUND', 'receive')
    },
  },
  {
    name: 'deleteQueue: removes the queue and is idempotent',
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('gone with the queue')
      await ctx.client.deleteQueue(queue.name)
      await ctx.client.deleteQueue(queue.name)
      await expectQueueError(
        () => queue.receive({ waitSeconds: 0 }),
        'QUEUE_NOT_FOUND',
        'receive after delete',
      )
    },
  },
  {
    name: 'capabilities: every field explicit, and unchanged by use',
    async run(ctx) {
      const before = structuredClone(ctx.capabilities)
      for (const field of ['persistent', 'fifo', 'renewLease', 'deadLetter'] as const) {
        assert.equal(typeof before[field], 'boolean', `${field} must be a boolean`)
      }
      for (const field of ['delay', 'nackDelay', 'maxBatch', 'minLeaseSeconds'] as const) {
        assert.ok(Number.isInteger(before[field]) && before[field] >= 0, `${field} must be a whole number`)
      }
      assert.ok(before.maxBatch >= 1 && before.maxBatch <= 10, 'maxBatch is 1 to 10')
      assert.ok(ctx.client.driver.leaseSeconds >= before.minLeaseSeconds, 'lease below the declared minimum')
      const queue = await ctx.queue()
      await queue.send('use')
      await queue.ack(await receiveOne(queue))
      assert.deepEqual(ctx.capabilities, before)
    },
  },
  {
    name: 'unsupported features fail with NOT_SUPPORTED',
    skip: (caps) =>
      !caps.renewLease || caps.nackDelay === 0 || caps.delay === 0
        ? undefined
        : 'the driver supports renewLease, nack delays and delayed send',
    async run(ctx) {
      const queue = await ctx.queue()
      const caps = ctx.capabilities
      if (caps.delay === 0)
        await expectQueueError(() => queue.send('x', { delaySeconds: 1 }), 'NOT_SUPPORTED')
      await queue.send('y')
      const m = await receiveOne(queue)
      if (!caps.renewLease) await expectQueueError(() => queue.renewLease(m), 'NOT_SUPPORTED', 'renewLease')
      if (caps.nackDelay === 0)
        await expectQueueError(() => queue.nack(m, { delaySeconds: 5 }), 'NOT_SUPPORTED', 'nack')
      await queue.ack(m)
    },
  },
  {
    name: 'FIFO: messages arrive in the order they were sent',
    skip: (caps) => (caps.fifo ? undefined : 'the driver declares fifo: false (no ordering guarantee)'),
    async run(ctx) {
      const queue = await ctx.queue<number>()
      for (let i = 0; i < 25; i++) await queue.send(i)
      const order: number[] = []
      await receiveUntil(queue, 20_000, (seen) => {
        for (const m of seen.splice(0)) order.push(m.payload)
        return order.length >= 25
      })
      assert.deepEqual(
        order,
        Array.from({ length: 25 }, (_, i) => i),
      )
    },
  },
  {
    name: 'persistence: messages survive closing and reopening the driver',
    skip: (caps) => (caps.persistent ? undefined : 'the driver declares persistent: false'),
    timeoutMs: (lease) => lease * 3 + 30_000,
    async run(ctx) {
      const name = (await ctx.queue()).name
      const sent = await ctx.client.queue(name).sendBatch([{ payload: 'one' }, { payload: { two: 2 } }])
      const leased = await receiveOne(ctx.client.queue(name)) // leased, never acked
      const client = await ctx.reopen()
      const got = await drain(client.queue(name), 2, ctx.leaseMs * 2 + 15_000)
      assert.deepEqual(new Set(got.map((m) => m.id)), new Set(sent.map((r) => (r.ok ? r.id : ''))))
      const again = got.find((m) => m.id === leased.id)
      assert.ok(again && again.attempt >= 2, 'the message leased before reopening should count that delivery')
    },
  },
]

/** Every case: the primitives, then the consumer built on them. */
export const cases: ConformanceCase[] = [...queueCases, ...consumerCases]
