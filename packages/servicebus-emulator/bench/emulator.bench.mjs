// pnpm bench (servicebus-emulator): startup, and the official SDK's send and peek-lock
// receive + complete through the emulator, each against the floor under it, run in this process:
// startup against a bare TCP listen + connect, and wire throughput against the same messages
// pushed through the emulator's broker in-process (no AMQP, no SDK). The ratio says how much of
// the broker's own ceiling the SDK reaches over the wire.
import { connect, createServer } from 'node:net'
import { ServiceBusClient } from '@azure/service-bus'
import rhea from 'rhea'
import { rate, report } from '../../../scripts/bench-kit.mjs'
import { parseMessage } from '../dist/amqp.js'
import { startEmulator } from '../dist/index.js'

const N = Number(process.env.BENCH_MESSAGES ?? 10_000)
const STARTS = 20
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(200) }

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (started) => Number(process.hrtime.bigint() - started) / 1e6

/** startEmulator() until an AMQP connection is open on it. */
async function emulatorStart() {
  const started = process.hrtime.bigint()
  const emulator = await startEmulator({ config: { queues: [{ name: 'q' }] } })
  const container = rhea.create_container()
  container.on('disconnected', () => {})
  const connection = container.connect({ host: emulator.host, port: emulator.port, reconnect: false })
  await new Promise((resolve) => connection.once('connection_open', resolve))
  const elapsed = ms(started)
  connection.close()
  await new Promise((resolve) => connection.once('connection_close', resolve))
  await emulator.close()
  return elapsed
}

/** A bare TCP server listening until a socket connects to it: the floor for any server. */
async function bareStart() {
  const started = process.hrtime.bigint()
  const server = createServer((socket) => socket.destroy())
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const socket = connect(server.address().port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  const elapsed = ms(started)
  socket.destroy()
  await new Promise((resolve) => server.close(resolve))
  return elapsed
}

async function startup() {
  const subject = []
  const baseline = []
  for (let i = 0; i < STARTS; i++) {
    baseline.push(await bareStart())
    subject.push(await emulatorStart())
  }
  const s = median(subject)
  const b = median(baseline)
  console.log(
    [
      '',
      'servicebus-emulator: startup to the first open AMQP connection (median of 20)',
      `${'emulator'.padEnd(38)}${`${s.toFixed(1)} ms`.padStart(14)}`,
      `${'bare TCP listen + connect'.padEnd(38)}${`${b.toFixed(1)} ms`.padStart(14)}`,
      `(ratio ${(s / b).toFixed(1)}× the bare floor; Microsoft's emulator needs Docker and SQL Server, not measured here)`,
    ].join('\n'),
  )
}

/** The SDK over AMQP: batches of 100, then receiveMessages(100) + completeMessage for each. */
async function overTheWire() {
  const emulator = await startEmulator({
    config: { queues: [{ name: 'q', properties: { lockDurationMs: 60_000 } }] },
  })
  const client = new ServiceBusClient(emulator.connectionString)
  const sender = client.createSender('q')
  await sender.sendMessages({ body: payload }) // links and CBS up before timing
  const receiver = client.createReceiver('q', { maxAutoLockRenewalDurationInMs: 0 })
  await receiver.completeMessage((await receiver.receiveMessages(1))[0])
  const send = await rate(N, async () => {
    for (let sent = 0; sent < N; sent += 100) {
      const batch = await sender.createMessageBatch()
      for (let i = 0; i < 100; i++) batch.tryAddMessage({ body: payload })
      await sender.sendMessages(batch)
    }
  })
  const receive = await rate(N, async () => {
    for (let got = 0; got < N; ) {
      const messages = await receiver.receiveMessages(100, { maxWaitTimeInMs: 1_000 })
      await Promise.all(messages.map((m) => receiver.completeMessage(m)))
      got += messages.length
    }
  })
  await client.close()
  await emulator.close()
  return { send, receive }
}

/** The same messages through the broker in this process: the emulator's own ceiling. */
async function inProcess() {
  const emulator = await startEmulator({
    config: { queues: [{ name: 'q', properties: { lockDurationMs: 60_000 } }] },
  })
  const bytes = rhea.message.encode({ body: payload })
  const send = await rate(N, async () => {
    for (let sent = 0; sent < N; sent += 100) {
      emulator.broker.send(
        'q',
        Array.from({ length: 100 }, () => parseMessage(bytes)),
      )
      await new Promise(setImmediate)
    }
  })
  const entity = emulator.broker.receivable('q')
  const receive = await rate(N, async () => {
    for (let got = 0; got < N; ) {
      const batch = [...entity.messages.values()].filter((m) => !m.lock).slice(0, 100)
      const locks = batch.map((m) => entity.lock(m))
      for (const lock of locks) entity.complete(lock.token)
      got += batch.length
      await new Promise(setImmediate)
    }
  })
  await emulator.close()
  return { send, receive }
}

await startup()
const wire = await overTheWire()
const floor = await inProcess()
report(
  `servicebus-emulator: ${N.toLocaleString('en-US')} messages of ~260 bytes`,
  'SDK→emulator',
  'in-process',
  [
    { name: 'send (batches of 100)', subject: wire.send, baseline: floor.send },
    { name: 'peek-lock receive 100 + complete', subject: wire.receive, baseline: floor.receive },
  ],
)
console.log('(here the ratio is the share of the broker’s in-process ceiling the SDK reaches over AMQP)')
