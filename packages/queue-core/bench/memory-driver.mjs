// An in-memory QueueDriver for the core bench: no I/O, so what is measured is the portable layer
// and the consumer themselves. Messages sit in an array read from a cursor; leases in a Map.

export function createMemoryDriver() {
  let messages = []
  let head = 0
  const leased = new Map()
  let ids = 0
  return {
    name: 'memory',
    leaseSeconds: 30,
    capabilities: Object.freeze({
      persistent: false,
      fifo: true,
      delay: 0,
      nackDelay: 43_200,
      renewLease: true,
      deadLetter: false,
      maxBatch: 10,
      minLeaseSeconds: 1,
      staleHandles: 'ignored',
      untypedBody: 'text',
      topics: false,
    }),
    async createQueue() {},
    async deleteQueue() {},
    async sendBatch(_queue, batch) {
      return batch.map((m) => {
        const id = `m${++ids}`
        messages.push({ id, body: m.body, contentType: m.contentType, attributes: m.attributes, attempt: 0 })
        return { id }
      })
    },
    async receiveBatch(_queue, request) {
      const out = []
      while (out.length < request.maxMessages && head < messages.length) {
        const m = messages[head++]
        m.attempt++
        const receiptHandle = `mem:${m.id}:${m.attempt}`
        leased.set(receiptHandle, m)
        out.push({
          id: m.id,
          body: m.body,
          contentType: m.contentType,
          receiptHandle,
          attempt: m.attempt,
          enqueuedAt: new Date(0),
          attributes: { ...m.attributes },
        })
      }
      if (head === messages.length && head > 0) {
        messages = []
        head = 0
      }
      return out
    },
    async ackBatch(_queue, handles) {
      for (const handle of handles) leased.delete(handle)
    },
    async nack(_queue, handle) {
      const m = leased.get(handle)
      if (!m) return
      leased.delete(handle)
      messages.push(m)
    },
    async renewLease() {},
    isReceiptHandle: (handle) => handle.startsWith('mem:'),
    classifyError: () => undefined,
    async close() {},
  }
}
