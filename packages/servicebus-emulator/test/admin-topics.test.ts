import { ServiceBusClient } from '@azure/service-bus'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// Topics and subscriptions made at run time through `emulator.admin`, shaped like
// ServiceBusAdministrationClient: a subscription sees only what is sent after it exists, and its
// default rule can be an SQL filter from the start.
let emulator: ServiceBusEmulator
let client: ServiceBusClient

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 })
  client = new ServiceBusClient(emulator.connectionString)
})
afterAll(async () => {
  await client?.close()
  await emulator?.close()
})

async function bodies(topic: string, subscription: string): Promise<unknown[]> {
  const receiver = client.createReceiver(topic, subscription, { receiveMode: 'receiveAndDelete' })
  const got = await receiver.receiveMessages(10, { maxWaitTimeInMs: 500 })
  await receiver.close()
  return got.map((m) => m.body).sort()
}

describe('emulator.admin topics', () => {
  it('creates topics and subscriptions; a subscription gets only later messages, through its SQL rule', async () => {
    await emulator.admin.createTopic('events')
    expect(await emulator.admin.topicExists('events')).toBe(true)
    await expect(emulator.admin.createTopic('events')).rejects.toMatchObject({ statusCode: 409 })
    await emulator.admin.createSubscription('events', 'all')
    const sender = client.createSender('events')
    await sender.sendMessages({ body: 'early', applicationProperties: { color: 'blue' } })
    await emulator.admin.createSubscription('events', 'blue', {
      lockDuration: 'PT5S',
      defaultRuleOptions: { name: 'only-blue', filter: { sqlExpression: "color = 'blue'" } },
    })
    await sender.sendMessages([
      { body: 'blue', applicationProperties: { color: 'blue' } },
      { body: 'red', applicationProperties: { color: 'red' } },
    ])
    await sender.close()
    expect(await bodies('events', 'all')).toEqual(['blue', 'early', 'red'])
    expect(await bodies('events', 'blue')).toEqual(['blue'])
  })

  it('deletes a subscription, and a topic with its subscriptions; missing ones are 404', async () => {
    await emulator.admin.createTopic('gone')
    await emulator.admin.createSubscription('gone', 's1')
    await emulator.admin.createSubscription('gone', 's2')
    await emulator.admin.deleteSubscription('gone', 's1')
    await expect(emulator.admin.deleteSubscription('gone', 's1')).rejects.toMatchObject({ statusCode: 404 })
    await emulator.admin.deleteTopic('gone')
    expect(await emulator.admin.topicExists('gone')).toBe(false)
    await expect(emulator.admin.deleteTopic('gone')).rejects.toMatchObject({ statusCode: 404 })
    await expect(emulator.admin.createSubscription('gone', 's3')).rejects.toMatchObject({ statusCode: 404 })
    await expect(emulator.admin.deleteQueue('gone')).rejects.toMatchObject({ statusCode: 404 })
  })
})
