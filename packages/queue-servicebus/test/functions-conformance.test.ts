import { randomBytes } from 'node:crypto'
import type { TriggerTarget } from '@anyqueue/conformance'
import { triggerConformanceSuite } from '@anyqueue/conformance/vitest'
import { QueueClient } from '@anyqueue/queue-core'
import { type ServiceBusEmulator, startEmulator } from '@anyqueue/servicebus-emulator'
import { ServiceBusClient } from '@azure/service-bus'
import { afterAll } from 'vitest'
import { createServiceBusDriver, createServiceBusFunctionHandler } from '../src/index.js'
import { hostOnce } from './functions-host.js'

// The trigger conformance section for the Functions handler on our emulator, invoked by `hostOnce`
// (a minimal Functions host) in a loop until the case stops it.
let emulator: ServiceBusEmulator | undefined
let raw: ServiceBusClient | undefined
let client: QueueClient | undefined

afterAll(async () => {
  await client?.close()
  await raw?.close()
  await emulator?.close()
})

triggerConformanceSuite('servicebus functions handler', async (): Promise<TriggerTarget> => {
  emulator = await startEmulator()
  const sb = new ServiceBusClient(emulator.connectionString)
  const opened = new QueueClient(
    createServiceBusDriver({
      connectionString: emulator.connectionString,
      admin: emulator.admin,
      leaseSeconds: 60,
    }),
  )
  raw = sb
  client = opened
  return {
    name: 'servicebus functions handler',
    async open() {
      const name = `fnc-${randomBytes(4).toString('hex')}`
      await opened.createQueue(name)
      const queue = opened.queue(name)
      return {
        queue,
        deadLetterQueue: opened.queue(`${name}-dlq`),
        sendUndecodable: async () => {
          const sender = sb.createSender(name)
          await sender.sendMessages({ body: Buffer.from('{not json'), contentType: 'application/json' })
          await sender.close()
        },
        async start(handler, options) {
          const fn = createServiceBusFunctionHandler(queue, handler, options)
          let stopped = false
          const loop = (async () => {
            while (!stopped) await hostOnce(sb, name, fn)
          })()
          return {
            async stop() {
              stopped = true
              await loop
            },
          }
        },
        async close() {
          await opened.deleteQueue(name)
          await opened.deleteQueue(`${name}-dlq`)
        },
      }
    },
  }
})
