// Against the in-repo emulator: listQueues reverses the case-safe name mapping and leaves
// subscriptions out; a missing queue names itself.
import { QueueClient } from '@anyqueue/queue-core'
import { startEmulator } from '@anyqueue/servicebus-emulator'
import { expect, test } from 'vitest'
import { createServiceBusDriver } from '../src/index.js'

test('servicebus: listQueues by portable name, capitals restored, sorted; topics and subscriptions left out; QUEUE_NOT_FOUND names the queue', {
  timeout: 60_000,
}, async () => {
  const emulator = await startEmulator()
  const client = new QueueClient(
    createServiceBusDriver({
      connectionString: emulator.connectionString,
      admin: emulator.admin,
      prefix: 'aq-',
    }),
  )
  try {
    expect(await client.driver.listQueues!()).toEqual([])
    for (const name of ['orders', 'Jobs', 'JOBS', 'orders-dlq']) await client.createQueue(name)
    await client.createTopic('news')
    await client.createSubscription('news', 'mail')
    await emulator.admin.createQueue('unrelated') // not under the prefix
    await emulator.admin.createQueue('aq-jobs.0') // under the prefix, but no portable name maps to it
    expect(await client.driver.listQueues!()).toEqual(['JOBS', 'Jobs', 'orders', 'orders-dlq'])

    const error = await client
      .queue('Nowhere')
      .send('x')
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'QUEUE_NOT_FOUND', driver: 'servicebus' })
    expect((error as Error).message).toMatch(
      /^\[anyqueue\] \[servicebus\] queue "Nowhere" does not exist \(.+\): create it with createQueue\("Nowhere"\), or open the driver with createIfMissing: true$/,
    )
  } finally {
    await client.close()
    await emulator.close()
  }
})

test('servicebus: an admin that cannot list makes listQueues NOT_SUPPORTED, naming the admin', async () => {
  const { listQueues: _, ...admin } = {
    createQueue: async () => {},
    deleteQueue: async () => {},
    queueExists: async () => true,
    listQueues: undefined,
  }
  const driver = createServiceBusDriver({
    connectionString:
      'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true',
    admin,
  })
  await expect(driver.listQueues()).rejects.toMatchObject({ code: 'NOT_SUPPORTED', field: 'admin' })
  await driver.close()
})
