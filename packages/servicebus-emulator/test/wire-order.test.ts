import { createRequire } from 'node:module'
import { createServer, connect as dial, type Server, type Socket } from 'node:net'
import rhea, { type Connection, type Delivery } from 'rhea'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// Every request to `$management` and `$cbs` is settled (a disposition on the wire) before its reply
// is sent: clients on uamqp (Microsoft's Python SDK) crash when the reply comes first. Seen on the
// wire: a proxy between a raw rhea client and the emulator records the emulator's frames in order.
const frames = createRequire(import.meta.url)('rhea/lib/frames.js') as {
  read_frame(
    buffer: Buffer,
  ): { size: number; channel: number; performative?: Performative; payload?: Buffer } | null
}
const messages = createRequire(import.meta.url)('rhea/lib/message.js') as {
  decode(buffer: Buffer): { correlation_id?: unknown }
}

interface Performative {
  constructor: { name?: string }
  handle?: number
  role?: boolean
  first?: number
  last?: number
  settled?: boolean
  delivery_id?: number
  [key: string]: unknown
}

let emulator: ServiceBusEmulator
let proxy: Server
const sockets: Socket[] = []

/** What the emulator sent, by frame: `disposition` (request ids settled) and `transfer` (reply). */
type Seen = { kind: 'settled'; first: number; last: number } | { kind: 'reply'; correlation: string }
const seen: Seen[] = []

function parse(stream: Buffer): Buffer {
  let rest = stream
  for (;;) {
    if (rest.length >= 8 && rest.toString('latin1', 0, 4) === 'AMQP') {
      rest = rest.subarray(8)
      continue
    }
    if (rest.length < 4) return rest
    const size = rest.readUInt32BE(0)
    if (rest.length < size) return rest
    const frame = frames.read_frame(rest.subarray(0, size))
    rest = rest.subarray(size)
    const p = frame?.performative
    if (!p) continue
    const value = p as Performative
    // Dispositions from the emulator as receiver (role true) of the client's requests.
    if ('first' in value && value.role === true && value.settled)
      seen.push({ kind: 'settled', first: value.first!, last: value.last ?? value.first! })
    if ('delivery_tag' in value && frame?.payload) {
      const correlation = messages.decode(frame.payload).correlation_id
      if (typeof correlation === 'string') seen.push({ kind: 'reply', correlation })
    }
  }
}

beforeAll(async () => {
  emulator = await startEmulator({ config: { queues: [{ name: 'wire' }] } })
  proxy = createServer((client) => {
    const server = dial(emulator.port, emulator.host)
    sockets.push(client, server)
    let pending: Buffer = Buffer.alloc(0)
    client.pipe(server)
    server.on('data', (chunk: Buffer) => {
      pending = parse(Buffer.concat([pending, chunk]))
      client.write(chunk)
    })
    for (const s of [client, server]) s.on('error', () => {})
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  for (const s of sockets) s.destroy()
  await new Promise((resolve) => proxy?.close(resolve))
  await emulator?.close()
})

async function open(): Promise<Connection> {
  const container = rhea.create_container()
  container.on('error', () => {})
  const address = proxy.address() as { port: number }
  const connection = container.connect({ host: '127.0.0.1', port: address.port, reconnect: false } as never)
  connection.on('disconnected', () => {}) // the proxy's sockets go when the test ends
  await new Promise((resolve) => connection.once('connection_open', resolve))
  return connection
}

/** Sends `requests` to `node` at once and waits for every reply; returns delivery id by message id. */
async function burst(
  connection: Connection,
  node: string,
  requests: Array<{ properties: Record<string, unknown>; body: unknown }>,
): Promise<Map<string, number>> {
  const replyTo = `reply-${node}`
  const receiver = connection.open_receiver({ source: { address: node }, target: { address: replyTo } })
  const sender = connection.open_sender({ target: { address: node } })
  await new Promise((resolve) => sender.once('sendable', resolve))
  const ids = new Map<string, number>()
  seen.length = 0 // delivery ids count from 0 on every connection: only this one's frames count
  const replies = new Promise<void>((resolve) => {
    let count = 0
    receiver.on('message', () => {
      if (++count === requests.length) resolve()
    })
  })
  requests.forEach((request, i) => {
    const id = `${node}-${i}`
    const delivery: Delivery = sender.send({
      message_id: id,
      reply_to: replyTo,
      application_properties: request.properties,
      body: request.body,
    } as never)
    ids.set(id, delivery.id)
  })
  await replies
  return ids
}

/** Every reply in `ids` came after a disposition that settled its request. */
function settledBeforeReplies(ids: Map<string, number>) {
  const settled = new Set<number>()
  const late: string[] = []
  let replies = 0
  for (const event of seen) {
    if (event.kind === 'settled') for (let id = event.first; id <= event.last; id++) settled.add(id)
    else if (ids.has(event.correlation)) {
      replies++
      if (!settled.has(ids.get(event.correlation)!)) late.push(event.correlation)
    }
  }
  return { replies, late }
}

describe('request/response nodes on the wire', () => {
  it('settle every $management request before its reply, in a burst of 60', async () => {
    const connection = await open()
    try {
      const peek = {
        properties: { operation: 'com.microsoft:peek-message' },
        body: { 'from-sequence-number': rhea.types.wrap_long(1), 'message-count': rhea.types.wrap_int(1) },
      }
      const ids = await burst(connection, 'wire/$management', Array(60).fill(peek))
      expect(settledBeforeReplies(ids)).toEqual({ replies: 60, late: [] })
    } finally {
      connection.close()
    }
  })

  it('settle every $cbs put-token before its reply, refusals included', async () => {
    const connection = await open()
    try {
      const put = (token: string) => ({
        properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: 'sb://x/wire' },
        body: token,
      })
      const ids = await burst(connection, '$cbs', [
        put('SharedAccessSignature sr=a&sig=b&se=1&skn=c'),
        put('not a token'),
        put('SharedAccessSignature sr=a&sig=b&se=1&skn=c'),
      ])
      expect(settledBeforeReplies(ids)).toEqual({ replies: 3, late: [] })
    } finally {
      connection.close()
    }
  })
})
