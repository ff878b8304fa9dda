import assert from 'node:assert/strict'
import type { Payload } from '@anyqueue/queue-core'
import type { ConformanceCase } from '../case.js'
import { drain, expectNeverFor, expectQueueError, receiveOne, receiveUntil } from '../helpers.js'

const unicode = 'héllo wörld — 你好 — مرحبا — 🎉👩🏽‍💻 — e\u0301 — \u0000nul'

/** Payloads and attributes: what is sent is what arrives, or the send is refused with a typed error. */
export const payloadCases: ConformanceCase[] = [
  {
    id: 'payload.text-round-trip',
    name: 'round trip: text comes back as the same string',
    async run(ctx) {
      const queue = await ctx.queue()
      const texts = [
        'plain text',
        '',
        unicode,
        '{"looks":"like json"}',
        '{ "spaced": 1.0 }',
        '"quoted"',
        '42',
        '1.0',
        'null',
        ' padded \n',
      ]
      const sent = new Map<string, string>()
      for (const text of texts) sent.set((await queue.send(text)).id, text)
      const got = await drain(queue, texts.length, ctx.patience(20_000))
      assert.equal(got.length, texts.length, `${texts.length} texts sent, ${got.length} arrived`)
      for (const m of got) {
        assert.strictEqual(
          m.payload,
          sent.get(m.id),
          `message ${m.id} arrived as ${JSON.stringify(m.payload)}, sent as ${JSON.stringify(sent.get(m.id))}: text must come back as the same string`,
        )
      }
    },
  },
  {
    id: 'payload.json-round-trip',
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
      const got = await drain(queue, values.length, ctx.patience(20_000))
      assert.equal(got.length, values.length, `${values.length} values sent, ${got.length} arrived`)
      for (const m of got) {
        assert.deepStrictEqual(
          m.payload,
          ids.get(m.id),
          `message ${m.id} arrived as ${JSON.stringify(m.payload)} (${typeof m.payload}); JSON must come back as an equal value of the same type`,
        )
      }
    },
  },
  {
    id: 'payload.size-limit-accepted',
    name: 'size: 65,536 UTF-8 bytes are accepted and arrive intact',
    async run(ctx) {
      const queue = await ctx.queue()
      const text = 'é'.repeat(32_768) // two bytes each in UTF-8: exactly 65,536 bytes
      const json = { k: 'a'.repeat(65_536 - '{"k":""}'.length) }
      assert.equal(Buffer.byteLength(text), 65_536)
      assert.equal(Buffer.byteLength(JSON.stringify(json)), 65_536)
      await queue.send(text)
      await queue.send(json)
      const got = await drain(queue, 2, ctx.patience(20_000))
      assert.ok(
        got.some((m) => m.payload === text),
        'the 65,536-byte text came back different: the limit is inclusive and nothing may be truncated',
      )
      assert.ok(
        got.some((m) => JSON.stringify(m.payload) === JSON.stringify(json)),
        'the 65,536-byte JSON came back different: the limit is inclusive and nothing may be truncated',
      )
    },
  },
  {
    id: 'payload.size-limit-rejected',
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
    id: 'payload.invalid-rejected',
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
    id: 'payload.attributes-round-trip',
    name: 'attributes: sent with a message, they come back as they were',
    async run(ctx) {
      const queue = await ctx.queue()
      const attributes = {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        tenant: 'acme_co-1',
        unicode: 'héllo 🎉',
        long: 'v'.repeat(1_024),
        TenantID: 'names keep their case', // next to `tenant`: names are case-sensitive
      }
      await queue.sendBatch([{ payload: 'with', attributes }, { payload: 'without' }])
      const got = await drain(queue, 2, ctx.patience(20_000))
      const by = new Map(got.map((m) => [m.payload, m.attributes]))
      assert.deepEqual(by.get('with'), attributes, 'attributes must arrive exactly as sent')
      assert.deepEqual(by.get('without'), {}, 'a message sent without attributes has none')
    },
  },
  {
    id: 'payload.attribute-limits',
    name: 'attributes: 8 are accepted, 9 are INVALID_ARGUMENT naming the limit, nothing sent',
    async run(ctx) {
      const queue = await ctx.queue()
      const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`a${i}`, `value ${i}`]))
      await queue.send('eight', { attributes: eight })
      const m = await receiveOne(queue, ctx.patience(10_000))
      assert.deepEqual(m.attributes, eight, 'a message with exactly 8 attributes lost some')
      await queue.ack(m)
      const error = await expectQueueError(
        () => queue.send('nine', { attributes: { ...eight, a8: 'one too many' } }),
        'INVALID_ARGUMENT',
        'a message with 9 attributes',
      )
      assert.equal(error.limit, 8, `the error should name the limit of 8, got ${String(error.limit)}`)
      await expectNeverFor(queue, 1_000, 'a message with 9 attributes must not be sent')
    },
  },
  {
    id: 'payload.foreign-text',
    name: 'a message sent through the driver without a content type (another producer) arrives as capabilities.untypedBody says',
    async run(ctx) {
      const queue = await ctx.queue()
      const json = '{"from":"another tool"}'
      const text = 'plain words from another tool'
      const results = await ctx.client.driver.sendBatch(
        queue.name,
        [json, text].map((body) => ({
          body,
          contentType: undefined,
          bytes: Buffer.byteLength(body),
          delaySeconds: 0,
          attributes: { body: body === json ? 'json' : 'text' },
        })),
      )
      assert.ok(
        results.every((r) => 'id' in r),
        'the raw send failed',
      )
      const got = await receiveUntil(queue, ctx.patience(20_000), (seen) => seen.length >= 2)
      for (const m of got) await queue.ack(m)
      const mapping = ctx.driver.capabilities.untypedBody
      const byKind = (kind: string) => got.find((m) => m.attributes.body === kind)?.payload
      assert.equal(byKind('text'), text, 'text without a content type must arrive as the same text')
      assert.deepStrictEqual(
        byKind('json'),
        mapping === 'json-or-text' ? { from: 'another tool' } : json,
        mapping === 'json-or-text'
          ? 'JSON without a content type must arrive as its value under untypedBody: json-or-text'
          : 'JSON without a content type must arrive as the same text under untypedBody: text, not parsed or dropped',
      )
    },
  },
]
