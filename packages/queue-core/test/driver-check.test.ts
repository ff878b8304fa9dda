import { describe, expect, it } from 'vitest'
import { QueueClient } from '../src/index.js'
import { FakeDriver, fakeTopics } from './fake-driver.js'

/** A driver that declares topics, with `topics` as given. */
function declaringTopics(topics: unknown): FakeDriver {
  const driver = new FakeDriver()
  driver.capabilities = { ...driver.capabilities, topics: { filters: ['equals'] } }
  driver.topics = topics as never
  return driver
}

const invalidTopics = (message: RegExp) =>
  expect.objectContaining({
    name: 'QueueError',
    code: 'INVALID_ARGUMENT',
    field: 'driver.topics',
    driver: 'fake',
    message: expect.stringMatching(message),
  })

describe('a client checks the topics of the driver it opens, at construction', () => {
  it('accepts a driver that declares topics and has every topic method, and one with neither', async () => {
    const calls: Array<{ method: string; args: unknown[] }> = []
    const client = new QueueClient(declaringTopics(fakeTopics(calls)))
    await client.createTopic('t')
    await client.topic('t').publish('x')
    expect(calls.map((call) => call.method)).toEqual(['createTopic', 'publishBatch'])
    expect(() => new QueueClient(new FakeDriver())).not.toThrow()
  })

  it('refuses capabilities.topics without a topics object, naming it', () => {
    expect(() => new QueueClient(declaringTopics(undefined))).toThrow(invalidTopics(/has no topics object/))
    expect(() => new QueueClient(declaringTopics(null))).toThrow(invalidTopics(/has no topics object/))
  })

  it('refuses a topics object that lacks a method, naming each missing one (never a raw TypeError later)', () => {
    const { createTopic: _, publishBatch: __, ...partial } = fakeTopics()
    expect(() => new QueueClient(declaringTopics(partial))).toThrow(
      invalidTopics(/lacks createTopic, publishBatch$/),
    )
    expect(() => new QueueClient(declaringTopics({ ...fakeTopics(), deleteTopic: 'no' }))).toThrow(
      invalidTopics(/lacks deleteTopic$/),
    )
  })

  it('refuses a topics object on a driver that declares no topics', () => {
    const driver = new FakeDriver()
    driver.topics = fakeTopics()
    expect(() => new QueueClient(driver)).toThrow(invalidTopics(/declares capabilities.topics false/))
  })

  it('an old-shape driver (topic methods on the driver itself) gets the clear error, not a TypeError', () => {
    const driver = declaringTopics(undefined)
    Object.assign(driver, fakeTopics())
    expect(() => new QueueClient(driver)).toThrow(invalidTopics(/QueueDriver.topics/))
  })
})

describe('a client checks stats() and peek() against their capabilities, at construction', () => {
  const invalidLook = (method: 'stats' | 'peek', message: RegExp) =>
    expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      field: `driver.${method}`,
      message: expect.stringMatching(message),
    })

  it('refuses a declared look without its method, and a method without its declaration', () => {
    const declared = new FakeDriver()
    declared.capabilities = { ...declared.capabilities, stats: { visible: 'exact' }, peek: true }
    expect(() => new QueueClient(declared)).toThrow(
      invalidLook('stats', /declares capabilities.stats but has no stats\(\)/),
    )
    Object.assign(declared, { stats: async () => ({ visible: 0 }) })
    expect(() => new QueueClient(declared)).toThrow(
      invalidLook('peek', /declares capabilities.peek but has no peek\(\)/),
    )
    const undeclared = Object.assign(new FakeDriver(), { peek: async () => [] })
    expect(() => new QueueClient(undeclared)).toThrow(invalidLook('peek', /declares capabilities.peek false/))
  })

  it('a driver without them answers stats() and peek() NOT_SUPPORTED, naming why, and calls nothing', async () => {
    const driver = new FakeDriver()
    const q = new QueueClient(driver).queue('q')
    await expect(q.stats()).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      message: expect.stringMatching(/without receiving/),
    })
    await expect(q.peek()).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      message: expect.stringMatching(/counts as a delivery/),
    })
    expect(driver.calls).toEqual([])
  })
})
