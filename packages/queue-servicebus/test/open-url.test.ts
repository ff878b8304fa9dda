import { isQueueError, openQueueClient } from '@anyqueue/queue-core'
import { expect, test } from 'vitest'
import { ServiceBusDriver } from '../src/index.js'

test('servicebus://<host>?sharedAccessKeyName&sharedAccessKey builds the connection string', async () => {
  const client = await openQueueClient(
    'servicebus://ns.servicebus.windows.net?sharedAccessKeyName=Root&sharedAccessKey=abc%3D&leaseSeconds=10',
  )
  const driver = client.driver as ServiceBusDriver
  expect(driver).toBeInstanceOf(ServiceBusDriver)
  expect(driver.leaseSeconds).toBe(10)
  expect(driver.client.fullyQualifiedNamespace).toBe('ns.servicebus.windows.net')
  await client.close()
})

test('servicebus:// with no connection string anywhere is INVALID_ARGUMENT naming connectionString', async () => {
  const saved = process.env.SERVICEBUS_CONNECTION_STRING
  delete process.env.SERVICEBUS_CONNECTION_STRING
  try {
    const error = await openQueueClient('servicebus://').catch((e: unknown) => e)
    expect(isQueueError(error, 'INVALID_ARGUMENT')).toBe(true)
    expect((error as { field?: string }).field).toBe('connectionString')
  } finally {
    if (saved !== undefined) process.env.SERVICEBUS_CONNECTION_STRING = saved
  }
})
