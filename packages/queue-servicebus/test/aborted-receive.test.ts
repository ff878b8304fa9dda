import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { QueueClient } from '@anyqueue/queue-core'
import { startEmulator } from '@anyqueue/servicebus-emulator'
import { expect, test } from 'vitest'
import { createServiceBusDriver } from '../src/index.js'

type Emulator = Awaited<ReturnType<typeof startEmulator>>

/**
 * A TCP relay to the emulator that calls `hold` at a point of the client's first connection and
 * relays nothing past that point until it returns: a receive aborted there is aborted while the
 * AMQP connection is certainly still opening, however fast or slow the machine.
 */
async function relay(
  emulator: Emulator,
  at: 'accept' | 'handshake',
  hold: () => void,
): Promise<{ server: Server; port: number }> {
  let held = false
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = createConnection(emulator.port, emulator.host)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => sockets.delete(s))
    }
    const first = !held
    held = true
    if (first && at === 'accept') hold()
    client.pipe(upstream)
    upstream.on('data', (chunk: Buffer) => {
      // The server's first bytes (its protocol header): the handshake has begun, not ended.
      if (first && at === 'handshake' && !client.destroyed && client.bytesWritten === 0) hold()
      client.write(chunk)
    })
    upstream.on('end', () => client.end())
    client.on('close', () => upstream.destroy())
  })
  server.on('close', () => {
    for (const s of sockets) s.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port }
}

/** Rejects when `promise` takes over `ms`: how long a stuck connection holds a call is not waited out. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

async function sendThenReceive(client: QueueClient, queueName: string, round: number): Promise<void> {
  const queue = client.queue(queueName)
  // Normally milliseconds. A connection broken by the abort holds a send for the SDK's 60 s
  // operation timeout, or fails it when the server drops the stale socket (10 s): 20 s is
  // patience for a slow machine, and still tells those apart.
  await within(queue.send({ round }), 20_000, 'send after an aborted receive')
  // A long poll ends with the first message: 20 s is patience for a slow machine, and still a
  // third of the 60 s lease the message would be held for.
  const received = await queue.receive({ maxMessages: 10, waitSeconds: 20 })
  expect(received.map((m) => m.payload)).toEqual([{ round }])
  // Sent while the aborted link still had credit, it was delivered there and released: attempt 2.
  expect([1, 2]).toContain(received[0]!.attempt)
  await queue.ackBatch(received)
}

// An abort that reached the SDK while it opened the client's connection closed that shared
// connection half-way: every later call hung for a minute or failed ("Failed to connect").
for (const at of ['accept', 'handshake'] as const) {
  test(`servicebus: a receive aborted while the connection opens (${at}) leaves the next calls working`, {
    timeout: 120_000,
  }, async () => {
    const emulator = await startEmulator()
    const stop = new AbortController()
    const proxy = await relay(emulator, at, () => stop.abort())
    const client = new QueueClient(
      createServiceBusDriver({
        connectionString: emulator.connectionString.replace(`:${emulator.port};`, `:${proxy.port};`),
        admin: emulator.admin,
        leaseSeconds: 60,
      }),
    )
    try {
      await client.createQueue('opening')
      // The client's first AMQP call: its connection opens now, and the abort lands during that.
      const pending = client
        .queue('opening')
        .receive({ maxMessages: 10, waitSeconds: 10, signal: stop.signal })
      expect(await within(pending, 20_000, 'the aborted receive')).toEqual([])
      expect(stop.signal.aborted).toBe(true)
      await sendThenReceive(client, 'opening', 0)
      await sendThenReceive(client, 'opening', 1)
    } finally {
      await client.close()
      proxy.server.close()
      await emulator.close()
    }
  })
}

// The SDK gives up an aborted receive without draining its link. Were the receiver pooled as it
// was, the credit it still had would take the next message and hold it, unseen, for the lease.
test('servicebus: a message sent after an aborted receive is received at once, not a lease later', {
  timeout: 120_000,
}, async () => {
  const emulator = await startEmulator()
  const client = new QueueClient(
    createServiceBusDriver({
      connectionString: emulator.connectionString,
      admin: emulator.admin,
      leaseSeconds: 60,
    }),
  )
  try {
    await client.createQueue('aborted')
    const queue = client.queue('aborted')
    // Open the connection first: these aborts land on a receive waiting on its link.
    await sendThenReceive(client, 'aborted', -1)
    for (let round = 0; round < 3; round++) {
      const stop = new AbortController()
      const pending = queue.receive({ maxMessages: 10, waitSeconds: 10, signal: stop.signal })
      await new Promise((resolve) => setTimeout(resolve, 200))
      stop.abort()
      expect(await pending).toEqual([])
      await sendThenReceive(client, 'aborted', round)
    }
  } finally {
    await client.close()
    await emulator.close()
  }
})
