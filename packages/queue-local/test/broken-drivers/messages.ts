import { CONTENT_TYPE_JSON, CONTENT_TYPE_TEXT, QueueError } from '@anyqueue/queue-core/driver'
import { type BrokenDriver, entry } from './wrap.js'

/** Bodies are text on the local driver; bytes (another backend's) never parse here. */
const parsesAsJson = (body: string | Uint8Array) => {
  if (typeof body !== 'string') return false
  try {
    JSON.parse(body)
    return true
  } catch {
    return false
  }
}

export const messageDrivers: BrokenDriver[] = [
  // Payload type: a driver that "helpfully" sniffs JSON, so the text '42' comes back as the number 42.
  entry('text-that-parses-as-json-becomes-json', 'payload.text-round-trip', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) =>
        m.contentType === CONTENT_TYPE_TEXT && parsesAsJson(m.body)
          ? { ...m, contentType: CONTENT_TYPE_JSON }
          : m,
      )
    },
  })),
  // The empty string, stored as "no body", comes back as JSON null.
  entry('empty-text-comes-back-as-null', 'payload.text-round-trip', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) =>
        m.body === '' ? { ...m, body: 'null', contentType: CONTENT_TYPE_JSON } : m,
      )
    },
  })),
  // Unicode normalised on the way in: e + combining acute becomes é. Same text to a human, not to ===.
  entry('normalises-unicode-to-nfc', ['payload.text-round-trip', 'payload.json-round-trip'], (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m) => ({ ...m, body: m.body.normalize('NFC') })),
      ),
  })),
  // Content type kept for a single send, lost for the 2nd+ entry of a batch (a loop that reads m[0]).
  entry('content-type-lost-after-first-batch-entry', 'batch.results-match-entries', (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m, i) => (i === 0 ? m : { ...m, contentType: undefined })),
      ),
  })),
  // Content type read from the message on first delivery, from a cache that misses on redelivery.
  entry('content-type-lost-on-redelivery', 'consumer.max-attempts-dead-letter', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) =>
        m.attempt > 1 ? { ...m, contentType: undefined } : m,
      )
    },
  })),
  // A message without a content type (another producer's) read as JSON, the driver's own default.
  entry('no-content-type-read-as-json', 'payload.foreign-text', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) =>
        m.contentType === undefined && parsesAsJson(m.body) ? { ...m, contentType: CONTENT_TYPE_JSON } : m,
      )
    },
  })),
  // Declares untypedBody 'json-or-text', yet stamps a body without a content type as text, so the JSON
  // another producer sent unmarked (Pub/Sub's `json`, the Service Bus SDK's default) stays a string.
  entry(
    'untyped-json-stamped-as-text',
    ['payload.foreign-text', 'foreign.json-no-content-type'],
    (real) => ({
      async receiveBatch(queue, request) {
        return (await real.receiveBatch(queue, request)).map((m) =>
          m.contentType === undefined ? { ...m, contentType: CONTENT_TYPE_TEXT } : m,
        )
      },
    }),
    { options: { untypedBody: 'json-or-text' } },
  ),
  // Off by one on the size limit: 65,536 bytes refused, as if the limit were exclusive.
  entry('refuses-exactly-65536-bytes', 'payload.size-limit-accepted', (real) => ({
    async sendBatch(queue, messages) {
      const fits = messages.filter((m) => m.bytes < 65_536)
      const sent = fits.length > 0 ? await real.sendBatch(queue, fits) : []
      let next = 0
      return messages.map((m) =>
        m.bytes < 65_536
          ? sent[next++]!
          : { error: new QueueError('MESSAGE_TOO_LARGE', `${m.bytes} bytes; the limit is 65536`) },
      )
    },
  })),
  // A 65,535-byte buffer: the last byte of a full-size body is cut (and with it half a character).
  entry('truncates-the-last-byte-at-the-limit', 'payload.size-limit-accepted', (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m) =>
          m.bytes < 65_536 ? m : { ...m, body: Buffer.from(m.body).subarray(0, 65_535).toString('utf8') },
        ),
      ),
  })),

  // Attributes: values over 1,000 bytes silently dropped (a backend limit misremembered).
  entry('drops-attribute-values-over-1000-bytes', 'payload.attributes-round-trip', (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m) => ({
          ...m,
          attributes: Object.fromEntries(
            Object.entries(m.attributes).filter(([, v]) => Buffer.byteLength(v) <= 1_000),
          ),
        })),
      ),
  })),
  // Every entry of a batch gets the first entry's attributes.
  entry(
    'batch-attributes-from-the-first-entry',
    ['batch.per-entry-attributes', 'payload.attributes-round-trip'],
    (real) => ({
      sendBatch: (queue, messages) =>
        real.sendBatch(
          queue,
          messages.map((m) => ({ ...m, attributes: messages[0]!.attributes })),
        ),
    }),
  ),
  // The driver's own content-type attribute leaks into the application's attributes.
  entry('content-type-leaks-into-attributes', 'payload.attributes-round-trip', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) => ({
        ...m,
        attributes: m.contentType ? { ...m.attributes, 'content-type': m.contentType } : m.attributes,
      }))
    },
  })),
  // Attribute values re-encoded as Latin-1 on the way back: ASCII survives, 'héllo 🎉' does not.
  entry('attribute-values-decoded-as-latin1', 'payload.attributes-round-trip', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) => ({
        ...m,
        attributes: Object.fromEntries(
          Object.entries(m.attributes).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('latin1')]),
        ),
      }))
    },
  })),
  // Attribute names lowercased, as HTTP headers are: 'traceParent' comes back as 'traceparent'.
  entry('attribute-names-lowercased', 'payload.attributes-round-trip', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) => ({
        ...m,
        attributes: Object.fromEntries(Object.entries(m.attributes).map(([k, v]) => [k.toLowerCase(), v])),
      }))
    },
  })),
  // Attributes of a redelivery read from a cache keyed by the first delivery's handle: lost.
  entry('attributes-lost-on-redelivery', 'consumer.max-attempts-dead-letter', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) =>
        m.attempt > 1 ? { ...m, attributes: {} } : m,
      )
    },
  })),

  // Batch results: the last two swapped (an off-by-one in the loop that pairs results with entries).
  entry('batch-results-last-two-swapped', 'batch.results-match-entries', (real) => ({
    async sendBatch(queue, messages) {
      const results = await real.sendBatch(queue, messages)
      const n = results.length
      if (n >= 2) [results[n - 2], results[n - 1]] = [results[n - 1]!, results[n - 2]!]
      return results
    },
  })),
  // Batch results in completion order, here reversed: result i is not message i.
  entry('batch-results-reversed', 'batch.results-match-entries', (real) => ({
    sendBatch: async (queue, messages) => (await real.sendBatch(queue, messages)).reverse(),
  })),

  // A batch of more than 5 keeps only the first 5 (a backend page size), all 10 reported sent.
  entry('batch-keeps-only-the-first-5', 'batch.results-match-entries', (real) => ({
    async sendBatch(queue, messages) {
      const results = await real.sendBatch(queue, messages.slice(0, 5))
      return messages.map((_, i) => results[i] ?? { id: `unsent-${i}` })
    },
  })),
  // Ids: send resolves with the backend's request id, not the message id receive reports.
  entry('send-returns-another-id', ['delivery.metadata', 'batch.results-match-entries'], (real) => ({
    sendBatch: async (queue, messages) =>
      (await real.sendBatch(queue, messages)).map((r) => ('id' in r ? { id: `req-${r.id}` } : r)),
  })),
  // A fresh id per delivery (the driver reports the delivery's id, not the message's).
  entry('id-changes-on-redelivery', ['lease.comes-back', 'nack.returns-early'], (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) =>
        m.attempt > 1 ? { ...m, id: `${m.id}-${m.attempt}` } : m,
      )
    },
  })),

  // enqueuedAt: local time read as UTC, off by an hour.
  entry('enqueued-at-off-by-an-hour', 'delivery.metadata', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) => ({
        ...m,
        enqueuedAt: new Date(m.enqueuedAt.getTime() - 3_600_000),
      }))
    },
  })),
  // enqueuedAt re-stamped on each redelivery (the time it was put back, not first sent).
  entry('enqueued-at-restamped-on-redelivery', 'delivery.enqueued-at-stable', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) =>
        m.attempt > 1 ? { ...m, enqueuedAt: new Date() } : m,
      )
    },
  })),
  // enqueuedAt stamped at receive: within the send when received at once, but never apart.
  entry('enqueued-at-stamped-at-receive', 'delivery.enqueued-at-stable', (real) => ({
    async receiveBatch(queue, request) {
      const now = new Date()
      return (await real.receiveBatch(queue, request)).map((m) => ({ ...m, enqueuedAt: now }))
    },
  })),
  // Takes every `content-` attribute for its own, as drivers once did with a foreign producer's.
  entry('swallows-foreign-reserved-names', 'foreign.attributes', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) => ({
        ...m,
        attributes: Object.fromEntries(
          Object.entries(m.attributes).filter(([name]) => !name.toLowerCase().startsWith('content-')),
        ),
      }))
    },
  })),
]
