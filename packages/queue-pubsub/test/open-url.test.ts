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
