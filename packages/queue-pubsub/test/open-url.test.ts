import { openQueueClient } from '@anyqueue/queue-core'
import { expect, test } from 'vitest'
import { PubSubDriver } from '../src/index.js'

test('pubsub://<project> opens the driver on that project with the options in the query', async () => {
  const client = await openQueueClient('pubsub://my-project?leaseSeconds=20&prefix=t-')
  const driver = client.driver as PubSubDriver
  expect(driver).toBeInstanceOf(PubSubDriver)
  expect(driver.leaseSeconds).toBe(20)
  expect(driver.pubsub.projectId).toBe('my-project')
  await client.close()
})

test('streamingPull=false in the query keeps consume() on unary Pull', async () => {
  const streaming = await openQueueClient('pubsub://my-project')
  const unary = await openQueueClient('pubsub://my-project?streamingPull=false')
  expect(streaming.driver.capabilities.streaming).toBe(true)
  expect((streaming.driver as PubSubDriver).streaming).toBeDefined()
  expect(unary.driver.capabilities.streaming).toBe(false)
  expect((unary.driver as PubSubDriver).streaming).toBeUndefined()
  await Promise.all([streaming.close(), unary.close()])
})
