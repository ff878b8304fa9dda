import { execFile, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import rhea from 'rhea'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// A second, independent AMQP 1.0 implementation (Qpid Proton, Debian's python3-qpid-proton) drives
// the emulator, so its wire behaviour is not only what rhea and the JS SDK happen to tolerate.
const script = fileURLToPath(new URL('./proton/client.py', import.meta.url))

function findPython(): string | undefined {
  const candidates = [process.env.PROTON_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean) as string[]
  for (const python of candidates) {
    try {
      execFileSync(python, ['-c', 'import proton'], { stdio: 'ignore' })
      return python
    } catch {}
  }
  return undefined
}
const python = findPython()
// CI installs python3-qpid-proton (.ci/run): there, a missing Proton is a failure, not a skip.
if (!python && process.env.CI)
  throw new Error('python3-qpid-proton is required in CI (apt-get install python3-qpid-proton)')

interface Typed {
  type: string
  value: unknown
}
type TypedMap = { type: 'map'; value: Record<string, Typed> }
interface Picture {
  id: string | null
  inferred: boolean
  body: Typed
  properties: TypedMap
  annotations: TypedMap
}

let emulator: ServiceBusEmulator
const errors: unknown[] = []
let n = 0

beforeAll(async () => {
  emulator = await startEmulator({ onError: (e) => errors.push(e) })
})
afterAll(async () => {
  await emulator?.close()
  expect(errors).toEqual([])
})

async function newQueue() {
  const name = `proton-${++n}`
  await emulator.admin.createQueue(name, { lockDuration: 'PT30S' })
  return name
}

async function proton<T>(scenario: string, address: string, mechanism = 'ANONYMOUS'): Promise<T> {
  const { stdout } = await promisify(execFile)(
    python!,
    [script, scenario, String(emulator.port), address, mechanism],
    { timeout: 30_000 },
  )
  return JSON.parse(stdout) as T
}

const int = (value: number) => ({ type: 'int32', value })

describe.skipIf(!python).concurrent('servicebus-emulator through Qpid Proton', () => {
  it('keeps every body type and every property and annotation type as the client encoded them', async () => {
    const { received } = await proton<{ received: Picture[] }>('bodies', await newQueue())
    const [data, value, sequence, binaryValue] = received
    expect(data!.inferred).toBe(true)
    expect(data!.body).toEqual({ type: 'binary', value: '0001726177' })
    expect(data!.properties.value).toEqual({
      i32: int(-7),
      i32pos: int(42),
      u: { type: 'uuid', value: '6f1e3c5a-0b7d-4c1e-9a2b-3c4d5e6f7a8b' },
      ts: { type: 'timestamp', value: 1700000000123 },
      l: { type: 'ulong', value: 2 ** 40 },
      s: { type: 'string', value: 'text' },
      b: { type: 'bool', value: true },
    })
    expect(data!.annotations.value['x-opt-custom']).toEqual(int(5))
    expect(data!.annotations.value['x-opt-sequence-number']?.type).toBe('long')
    expect(data!.annotations.value['x-opt-locked-until']?.type).toBe('timestamp')
    expect(data!.annotations.value['x-opt-lock-token']?.type).toBe('uuid')
    // Sent without a message id: one is stamped, and the value body beside it is untouched.
    expect(data!.id).toMatch(/^[0-9a-f-]{36}$/)
    expect(value!.inferred).toBe(false)
    expect(value!.body).toEqual({
      type: 'map',
      value: {
        k: int(1),
        u: { type: 'uuid', value: '00000000-0000-0000-0000-000000000007' },
        t: { type: 'timestamp', value: 1234 },
      },
    })
    expect(value!.properties.value).toEqual({ n: int(3) })
    expect(sequence!.inferred).toBe(true)
    expect(sequence!.body).toEqual({
      type: 'list',
      value: [{ type: 'string', value: 'a' }, int(2), { type: 'null', value: null }],
    })
    expect(binaryValue!.inferred).toBe(false)
    expect(binaryValue!.body).toEqual({ type: 'binary', value: Buffer.from('as-value').toString('hex') })
  })

  it('applies each settlement outcome: accepted, released, modified undeliverable, rejected', async () => {
    const queue = await newQueue()
    const { seen } = await proton<{ seen: string[] }>('settle', queue)
    expect(seen).toEqual(['m0', 'm1', 'm2', 'm3'])
    const entity = emulator.broker.receivable(queue)
    const byId = new Map([...entity.messages.values()].map((m) => [m.messageId, m]))
    expect(byId.has('settle-0')).toBe(false) // completed
    expect(byId.get('settle-1')?.state).toBe('active') // released: back in line…
    expect(byId.get('settle-1')?.deliveries).toBeGreaterThanOrEqual(1)
    expect(byId.get('settle-2')?.state).toBe('deferred') // modified, undeliverable here
    const dead = [...entity.deadLetterQueue!.messages.values()].map((m) => m.messageId)
    expect(dead).toEqual(['settle-3']) // rejected
  })

  it('answers $management with statusCode as an AMQP int: schedule, peek, renew, defer, receive deferred', async () => {
    const out = await proton<
      Record<string, { properties: TypedMap; body?: Typed } & Record<string, unknown>>
    >('management', await newQueue())
    for (const step of ['schedule', 'peek', 'renew', 'defer', 'receiveDeferred'])
      expect(out[step]!.properties.value.statusCode, step).toEqual(int(200))
    expect(out.unknown!.properties.value.statusCode).toEqual(int(501))
    expect(out.unknown!.properties.value.errorCondition?.value).toBe('amqp:not-implemented')
    const seqs = (out.schedule!.body as TypedMap).value['sequence-numbers']!
    expect(seqs.type).toBe('array')
    expect((seqs.value as Typed[])[0]!.type).toBe('long')
    const expirations = (out.renew!.body as TypedMap).value.expirations!
    expect((expirations.value as Typed[]).map((e) => e.type)).toEqual(['timestamp'])
    const peeked = out.peek!.messages as Picture[]
    expect(peeked.map((m) => m.id)).toEqual(['scheduled-1', 'now-1'])
    expect(peeked[1]!.properties.value.i).toEqual(int(9))
    expect(peeked[0]!.annotations.value['x-opt-message-state']).toEqual(int(2)) // scheduled
    expect(out.deferredState).toBe(1)
    expect(out.receiveDeferred!.count).toBe(1)
    // properties-to-modify keep the types the client gave them, beside the message's own.
    expect((out.deferredProperties as unknown as TypedMap).value).toEqual({
      i: int(9),
      stage: int(2),
      ref: { type: 'uuid', value: '00000000-0000-0000-0000-000000000009' },
    })
  })

  it('answers $cbs put-token with an int status code, with and without reply_to, and checks the signature', async () => {
    const out = await proton<{
      withReplyTo: TypedMap
      withoutReplyTo: TypedMap
      wrongKey: TypedMap
      correlation: string
    }>('cbs', await newQueue())
    expect(out.withReplyTo.value['status-code']).toEqual(int(200))
    expect(out.withoutReplyTo.value['status-code']).toEqual(int(200))
    expect(out.correlation).toBe('req-1')
    // A token signed with another key is refused as the service refuses it.
    expect(out.wrongKey.value['status-code']).toEqual(int(401))
    expect(out.wrongKey.value['status-description']?.value).toMatch(/^InvalidSignature/)
  })

  it('advertises max-frame-size and moves a 200 KiB message across frames both ways', async () => {
    const out = await proton<{
      sameBody: boolean
      length: number
      remoteMaxFrameSize: number
      localMaxFrameSize: number
    }>('large', await newQueue())
    // Proton asked for frames of at most 16 KiB and enforces it on what we send.
    expect(out).toMatchObject({
      sameBody: true,
      length: 204_800,
      remoteMaxFrameSize: 65_536,
      localMaxFrameSize: 16_384,
    })
  })

  it('serves a sender and a receiver sharing one link name on one connection, over SASL PLAIN', async () => {
    const out = await proton<{ body: string; sasl: string }>('shared-name', await newQueue(), 'PLAIN')
    expect(out).toEqual({ body: 'via shared name', sasl: 'PLAIN' })
  })
})

describe('SASL', () => {
  it('lets a client log in with MSSBCBS, as Service Bus offers it', async () => {
    const container = rhea.create_container()
    const mechanism = {
      start(callback: (error: unknown, response: Buffer) => void) {
        callback(undefined, Buffer.alloc(0))
      },
    }
    const connection = container.connect({
      port: emulator.port,
      host: '127.0.0.1',
      reconnect: false,
      sasl_mechanisms: { MSSBCBS: () => mechanism },
    } as never)
    const outcome = await new Promise<string>((resolve) => {
      connection.once('connection_open', () => resolve('open'))
      connection.once('connection_error', (c) => resolve(String(c.error)))
      connection.once('disconnected', (c) => resolve(`disconnected: ${String(c.error)}`))
    })
    connection.close()
    expect(outcome).toBe('open')
  })
})
