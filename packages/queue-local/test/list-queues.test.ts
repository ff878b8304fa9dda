import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QueueClient } from '@anyqueue/queue-core'
import { afterAll, expect, test } from 'vitest'
import { createLocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-list-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

test('listQueues: the queues of the store, sorted, without topic subscriptions; it survives a reopen', async () => {
  const location = join(root, 'db')
  const client = new QueueClient(createLocalDriver({ location }))
  expect(await client.driver.listQueues!()).toEqual([])
  for (const name of ['orders', 'Jobs', 'jobs-dlq', 'a_b']) await client.createQueue(name)
  await client.createTopic('news')
  await client.createSubscription('news', 'mail')
  await client.deleteQueue('a_b')
  expect(await client.driver.listQueues!()).toEqual(['Jobs', 'jobs-dlq', 'orders'])
  await client.close()

  const reopened = new QueueClient(createLocalDriver({ location }))
  expect(await reopened.driver.listQueues!()).toEqual(['Jobs', 'jobs-dlq', 'orders'])
  await reopened.close()
})
