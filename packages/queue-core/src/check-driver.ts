import { describeArgument } from './arguments.js'
import type { QueueDriver, TopicDriver } from './contract.js'
import { QueueError } from './errors.js'

const TOPIC_METHODS: readonly (keyof TopicDriver)[] = [
  'createTopic',
  'deleteTopic',
  'createSubscription',
  'deleteSubscription',
  'publishBatch',
]

/**
 * `driver` when it looks like a `QueueDriver`, else `INVALID_ARGUMENT` at once, naming what is
 * wrong: a client must never fail later with a raw `TypeError` from a missing method. Topics are
 * checked together: `capabilities.topics` declared exactly when a `topics` object with every
 * `TopicDriver` method is there.
 */
export function checkDriver(driver: QueueDriver): QueueDriver {
  if (typeof driver !== 'object' || driver === null || typeof driver.receiveBatch !== 'function') {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `driver must be a QueueDriver, got ${describeArgument(driver)}`,
      {
        field: 'driver',
      },
    )
  }
  const declared = Boolean(driver.capabilities?.topics)
  const topics = driver.topics as Partial<Record<keyof TopicDriver, unknown>> | undefined
  if (declared && (typeof topics !== 'object' || topics === null)) {
    throw invalidTopics(
      driver,
      `declares capabilities.topics but has no topics object (QueueDriver.topics, a TopicDriver), got ${describeArgument(topics)}`,
    )
  }
  if (!declared && topics !== undefined) {
    throw invalidTopics(driver, 'has a topics object but declares capabilities.topics false')
  }
  if (!declared) return driver
  const missing = TOPIC_METHODS.filter((method) => typeof topics![method] !== 'function')
  if (missing.length > 0) {
    throw invalidTopics(
      driver,
      `declares capabilities.topics but its topics object lacks ${missing.join(', ')}`,
    )
  }
  return driver
}

function invalidTopics(driver: QueueDriver, problem: string): QueueError {
  const name = typeof driver.name === 'string' ? driver.name : 'unnamed'
  return new QueueError('INVALID_ARGUMENT', `driver ${JSON.stringify(name)} ${problem}`, {
    field: 'driver.topics',
    driver: name,
  })
}
