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
 * `TopicDriver` method is there; so is streaming (`capabilities.streaming`, `streaming.open`).
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
  if (declared) {
    const missing = TOPIC_METHODS.filter((method) => typeof topics![method] !== 'function')
    if (missing.length > 0) {
      throw invalidTopics(
        driver,
        `declares capabilities.topics but its topics object lacks ${missing.join(', ')}`,
      )
    }
  }
  return checkStreaming(driver)
}

/** `capabilities.streaming` true exactly when a `streaming` object with an `open` method is there. */
function checkStreaming(driver: QueueDriver): QueueDriver {
  const declared = driver.capabilities?.streaming === true
  const streaming = driver.streaming as { open?: unknown } | undefined
  if (declared && typeof streaming?.open !== 'function') {
    throw invalidDriver(
      driver,
      'driver.streaming',
      `declares capabilities.streaming but has no streaming object with open() (QueueDriver.streaming, a StreamingReceiver), got ${describeArgument(streaming)}`,
    )
  }
  if (!declared && streaming !== undefined) {
    throw invalidDriver(
      driver,
      'driver.streaming',
      'has a streaming object but does not declare capabilities.streaming',
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
  return invalidDriver(driver, 'driver.topics', problem)
}

function invalidDriver(driver: QueueDriver, field: string, problem: string): QueueError {
  const name = typeof driver.name === 'string' ? driver.name : 'unnamed'
  return new QueueError('INVALID_ARGUMENT', `driver ${JSON.stringify(name)} ${problem}`, {
    field,
    driver: name,
  })
}
