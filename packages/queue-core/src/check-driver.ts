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
  checkLook(driver, 'stats', Boolean(driver.capabilities?.stats))
  checkLook(driver, 'peek', driver.capabilities?.peek === true)
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

/** `stats` and `peek`: a method present exactly when its capability is declared. */
function checkLook(driver: QueueDriver, method: 'stats' | 'peek', declared: boolean): void {
  const present = typeof driver[method] === 'function'
  if (declared === present) return
  const name = typeof driver.name === 'string' ? driver.name : 'unnamed'
  const problem = declared
    ? `declares capabilities.${method} but has no ${method}() method`
    : `has a ${method}() method but declares capabilities.${method} false`
  throw new QueueError('INVALID_ARGUMENT', `driver ${JSON.stringify(name)} ${problem}`, {
    field: `driver.${method}`,
    driver: name,
  })
}

function invalidTopics(driver: QueueDriver, problem: string): QueueError {
  const name = typeof driver.name === 'string' ? driver.name : 'unnamed'
  return new QueueError('INVALID_ARGUMENT', `driver ${JSON.stringify(name)} ${problem}`, {
    field: 'driver.topics',
    driver: name,
  })
}
