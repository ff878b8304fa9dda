import assert from 'node:assert/strict'
import { CONTENT_TYPE_JSON, DEAD_LETTER_ATTRIBUTES, type Message, type Payload } from '@anyqueue/queue-core'
import { type ConformanceCase, needs } from '../case.js'
import type { CaseContext } from '../context.js'
import { receiveOne, receiveUntil } from '../helpers.js'
import { assertCopiesPerDelivery, rawOfCopy } from '../lost-leases.js'
import type { ForeignMessage } from '../target.js'
import { eventually, PATIENCE, quiet } from './consumer-helpers.js'

const unicode = 'héllo wörld — 你好 — مرحبا — 🎉👩🏽‍💻 — e\u0301'
/** Not UTF-8: a lone continuation byte, then bytes UTF-8 never uses. */
const notUtf8 = new Uint8Array([0x68, 0x69, 0x80, 0xff, 0xfe, 0x00, 0xc3])

/** Sends as another producer on the case's queue, and receives what anyqueue makes of it. */
async function sendForeign(ctx: CaseContext, queueName: string, message: ForeignMessage): Promise<void> {
  await ctx.target.sendForeign!(queueName, message, ctx.driver)
}

async function roundTrip(ctx: CaseContext, message: ForeignMessage): Promise<Message> {
  const queue = await ctx.queue()
  await sendForeign(ctx, queue.name, message)
  const m = await receiveOne(queue, ctx.patience(20_000))
  await queue.ack(m)
  return m
}

function assertDecoded(m: Message, expected: Payload, what: string): void {
  assert.equal(
    m.decodeError,
    undefined,
    `${what} arrived as undecodable (${m.decodeError?.message}); it is well-formed`,
  )
  assert.deepStrictEqual(
    m.payload,
    expected,
    `${what} arrived as ${JSON.stringify(m.payload)} (${typeof m.payload}), expected ${JSON.stringify(expected)}`,
  )
}

function assertUndecodable(m: Message, raw: Uint8Array, why: RegExp, what: string): void {
  if (!m.decodeError) {
    assert.fail(
      `${what} arrived as ${JSON.stringify(m.payload)}: it cannot be represented, so it must carry a decodeError, never an altered payload`,
    )
  }
  assert.equal(m.decodeError.code, 'INVALID_PAYLOAD', `decodeError has code ${m.decodeError.code}`)
  assert.match(m.decodeError.message, why, 'decodeError must name why the body cannot be represented')
  assert.throws(
    () => m.payload,
    (e: unknown) => e === m.decodeError,
    'reading payload of an undecodable message must throw its decodeError',
  )
  assert.ok(m.rawBody instanceof Uint8Array, 'an undecodable message must carry its raw bytes (rawBody)')
  assert.deepEqual(
    Buffer.from(m.rawBody),
    Buffer.from(raw),
    'rawBody must be the bytes the producer sent, unchanged',
  )
}

/**
 * Messages from producers that are not anyqueue — the backend's own SDK — arrive as the mapping in
 * the core README says: text as the same string, JSON under a JSON content type as its value, and
 * what cannot be represented as a typed decoding failure with its raw bytes; never silently changed.
 */
export const foreignCases: ConformanceCase[] = [
  {
    id: 'foreign.text',
    name: 'foreign: text without a content type, or with a text one, arrives as the same string',
    requires: [needs.sendForeign],
    async run(ctx) {
      const plain = await roundTrip(ctx, { body: unicode })
      assertDecoded(plain, unicode, 'foreign text without a content type')
      const typed = await roundTrip(ctx, {
        body: new TextEncoder().encode(unicode),
        contentType: 'text/plain; charset=utf-8',
      })
      assertDecoded(typed, unicode, 'foreign text bytes with content type text/plain')
    },
  },
  {
    id: 'foreign.json-content-type',
    name: 'foreign: JSON under a JSON content type arrives as its value',
    requires: [needs.sendForeign],
    async run(ctx) {
      const value = { order: 17, items: [{ sku: 'A-1', qty: 2 }], note: unicode, paid: false, coupon: null }
      const m = await roundTrip(ctx, { body: JSON.stringify(value), contentType: CONTENT_TYPE_JSON })
      assertDecoded(m, value, 'foreign JSON with content type application/json')
      const withCharset = await roundTrip(ctx, {
        body: '[1,2.5,"x"]',
        contentType: 'Application/JSON; charset=utf-8',
      })
      assertDecoded(
        withCharset,
        [1, 2.5, 'x'],
        'foreign JSON with content type Application/JSON; charset=utf-8',
      )
    },
  },
  {
    id: 'foreign.json-no-content-type',
    name: 'foreign: a body without a content type arrives as capabilities.untypedBody says — text unchanged, or the JSON value it holds',
    requires: [needs.sendForeign],
    async run(ctx) {
      const json = { order: 17, items: [1, 2], note: unicode }
      const bodies: [string, Payload][] = [
        [JSON.stringify(json), json],
        ['42', 42],
        ['"quoted"', 'quoted'],
        ['null', null],
        [' [true, false] ', [true, false]],
        // Not JSON: text either way.
        ['hello', 'hello'],
        ['{"order":17,', '{"order":17,'],
      ]
      const mapping = ctx.driver.capabilities.untypedBody
      const queue = await ctx.queue()
      for (const [i, [body]] of bodies.entries()) {
        await sendForeign(ctx, queue.name, { body, attributes: { case: String(i) } })
      }
      const got = await receiveUntil(
        queue,
        ctx.patience(20_000),
        (seen) => new Set(seen.map((m) => m.id)).size >= bodies.length,
      )
      for (const m of got) await queue.ack(m)
      for (const [i, [body, value]] of bodies.entries()) {
        const m = got.find((m) => m.attributes.case === String(i))
        const what = `the foreign body ${JSON.stringify(body)} without a content type (untypedBody: '${mapping}')`
        assert.ok(m, `${what} never arrived`)
        assertDecoded(m, mapping === 'json-or-text' ? value : body, what)
      }
    },
  },
  {
    id: 'foreign.invalid-utf8',
    name: 'foreign: a body that is not UTF-8 arrives as INVALID_PAYLOAD with its raw bytes',
    requires: [needs.foreignBytes],
    async run(ctx) {
      const bare = await roundTrip(ctx, { body: notUtf8 })
      assertUndecodable(bare, notUtf8, /not valid UTF-8/, 'a body that is not UTF-8')
      const claimed = await roundTrip(ctx, { body: notUtf8, contentType: 'text/plain; charset=utf-8' })
      assertUndecodable(
        claimed,
        notUtf8,
        /not valid UTF-8/,
        'a body that is not UTF-8 under a text content type',
      )
    },
  },
  {
    id: 'foreign.invalid-json',
    name: 'foreign: a JSON content type over a body that is not JSON arrives as INVALID_PAYLOAD with its raw bytes',
    requires: [needs.sendForeign],
    async run(ctx) {
      const body = '{"order":17,'
      const m = await roundTrip(ctx, { body, contentType: CONTENT_TYPE_JSON })
      assertUndecodable(
        m,
        new TextEncoder().encode(body),
        /not valid JSON/,
        'a JSON content type over "{"order":17,"',
      )
      assert.equal(
        m.rawContentType,
        CONTENT_TYPE_JSON,
        'rawContentType must be the content type it arrived with',
      )
    },
  },
  {
    id: 'foreign.attributes',
    name: 'foreign: attributes arrive exactly, names close to the drivers’ own included; none is swallowed',
    requires: [needs.sendForeign],
    async run(ctx) {
      // Close to `content-type` and the drivers' other `content-` names, but none of them.
      const attributes = {
        team: 'billing',
        content_type: 'not the content type',
        contentType: 'nor this',
        'x-content-type': 'nor this',
        'Content-Typo': 'under the reserved prefix, yet not ours',
        'content-attempts': '7',
        Unicode: unicode,
      }
      const m = await roundTrip(ctx, { body: 'with attributes', contentType: 'text/plain', attributes })
      assertDecoded(m, 'with attributes', 'a foreign text with attributes')
      assert.deepEqual(
        m.attributes,
        attributes,
        `foreign attributes arrived as ${JSON.stringify(m.attributes)}; each must arrive with its name and value, and nothing else`,
      )
    },
  },
  {
    id: 'foreign.larger-than-64k',
    name: 'foreign: a body over the 64 KiB send limit (100 KiB) is delivered intact, not refused',
    requires: [needs.sendForeign],
    async run(ctx) {
      const body = `${'x'.repeat(100 * 1024 - 2)}é`
      const m = await roundTrip(ctx, { body })
      assert.equal(
        m.decodeError,
        undefined,
        `a 100 KiB foreign text arrived undecodable: ${m.decodeError?.message}`,
      )
      assert.ok(
        m.payload === body,
        `a 100 KiB foreign text arrived as ${String(m.payload).length} characters, not ${body.length}`,
      )
    },
  },
  {
    id: 'foreign.consume-dead-letters',
    name: 'foreign: consume() dead-letters an undecodable message at once with the reason; the handler never sees it',
    requires: [needs.sendForeign],
    timeoutMs: (lease) => lease * 2 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      const deadLetterQueue = await ctx.queue()
      const badJson = '{"half":'
      await sendForeign(ctx, queue.name, { body: badJson, contentType: CONTENT_TYPE_JSON })
      if (ctx.target.foreignBytes) await sendForeign(ctx, queue.name, { body: notUtf8 })
      await sendForeign(ctx, queue.name, { body: '{"ok":true}', contentType: CONTENT_TYPE_JSON })
      const bad = [Buffer.from(badJson), ...(ctx.target.foreignBytes ? [Buffer.from(notUtf8)] : [])]
      const handled: Payload[] = []
      const consumer = ctx.consume(queue, (m) => void handled.push(m.payload), {
        ...quiet,
        maxAttempts: 5,
        deadLetterQueue,
      })
      const dead: Message[] = []
      const copied = (raw: Buffer) => dead.some((m) => rawOfCopy(m).equals(raw))
      await receiveUntil(deadLetterQueue, ctx.patience(PATIENCE), (seen) => {
        dead.push(...seen.splice(0))
        return bad.every(copied)
      })
      await eventually(
        ctx.patience(PATIENCE),
        'the well-formed message to be handled',
        () => handled.length >= 1,
      )
      await consumer.stop() // every dead-letter send has settled
      dead.push(...(await deadLetterQueue.receive({ maxMessages: 10, waitSeconds: 1 })))
      for (const raw of bad) {
        assert.ok(copied(raw), `${bad.length} undecodable message(s) sent, ${raw} was never dead-lettered`)
      }
      // At-least-once: a lease lost on a slow backend redelivers a message, handled or dead-lettered
      // again. Only that is excused: one handling or copy per delivery, never more.
      const good = ctx.driver
        .deliveriesOf(queue.name)
        .filter((d) => Buffer.from(d.body).toString() === '{"ok":true}').length
      assert.ok(
        handled.every((p) => JSON.stringify(p) === '{"ok":true}') && handled.length <= Math.max(1, good),
        `only the well-formed message may reach the handler, once per delivery: got ${JSON.stringify(handled)}`,
      )
      assertCopiesPerDelivery(ctx.driver, queue.name, dead, bad)
      for (const m of dead) {
        assert.match(
          m.attributes[DEAD_LETTER_ATTRIBUTES.reason] ?? '',
          /^INVALID_PAYLOAD: .*(not valid JSON|not valid UTF-8)/,
          `dead-letter reason ${JSON.stringify(m.attributes[DEAD_LETTER_ATTRIBUTES.reason])} must name the decoding failure`,
        )
        const original = /JSON/.test(m.attributes[DEAD_LETTER_ATTRIBUTES.reason]!)
          ? Buffer.from(badJson)
          : Buffer.from(notUtf8)
        assert.deepEqual(rawOfCopy(m), original, 'the dead-lettered copy must keep the raw body')
      }
      // Not retried: each is dead-lettered on its first delivery. A later copy (a lost lease's
      // redelivery) does not replace that one.
      for (const raw of bad) {
        const attempts = dead
          .filter((m) => rawOfCopy(m).equals(raw))
          .map((m) => m.attributes[DEAD_LETTER_ATTRIBUTES.attempts])
        assert.ok(
          attempts.includes('1'),
          `an undecodable message must not be retried: its dead-letter copies say attempts ${attempts.join(', ')}`,
        )
      }
    },
  },
]
