import { openQueueClient } from '@anyqueue/queue-core'
import { expect, test } from 'vitest'
import { SqsDriver } from '../src/index.js'

test('sqs://host:port sets the endpoint (http on loopback), region and prefix from the query', async () => {
  const client = await openQueueClient('sqs://127.0.0.1:4566?region=eu-west-1&prefix=p-&leaseSeconds=5')
  const driver = client.driver as SqsDriver
  expect(driver).toBeInstanceOf(SqsDriver)
  expect(driver.leaseSeconds).toBe(5)
  expect(await driver.client.config.region()).toBe('eu-west-1')
  const endpoint = await driver.client.config.endpoint?.()
  expect(endpoint).toMatchObject({ protocol: 'http:', hostname: '127.0.0.1', port: 4566 })
  await client.close()
})

test('sqs:// with a public host uses https; ?endpoint= wins over the host', async () => {
  const secure = await openQueueClient('sqs://sqs.eu-west-1.amazonaws.com?region=eu-west-1')
  expect(await (secure.driver as SqsDriver).client.config.endpoint?.()).toMatchObject({ protocol: 'https:' })
  const explicit = await openQueueClient('sqs://ignored?region=eu-west-1&endpoint=http://10.0.0.1:9324')
  expect(await (explicit.driver as SqsDriver).client.config.endpoint?.()).toMatchObject({
    protocol: 'http:',
    hostname: '10.0.0.1',
  })
  await Promise.all([secure.close(), explicit.close()])
})
