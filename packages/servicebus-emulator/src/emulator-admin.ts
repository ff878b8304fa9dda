import { type Broker, BrokerError, type CreateQueueOptions } from './broker.js'
import { parseDuration } from './config.js'

/** Queue management at run time, shaped like `ServiceBusAdministrationClient`'s queue methods. */
export interface EmulatorAdmin {
  createQueue(name: string, options?: CreateQueueOptions): Promise<{ name: string }>
  deleteQueue(name: string): Promise<void>
  queueExists(name: string): Promise<boolean>
}

/** `emu.admin`: queue management in process, without the HTTP API. */
export function emulatorAdmin(broker: Broker): EmulatorAdmin {
  return {
    async createQueue(name, queueOptions = {}) {
      const duration = (value: string | undefined, field: string) =>
        value === undefined ? undefined : parseDuration(value, field)
      try {
        broker.addQueue({
          name,
          properties: {
            lockDurationMs: duration(queueOptions.lockDuration, 'lockDuration'),
            maxDeliveryCount: queueOptions.maxDeliveryCount,
            defaultMessageTimeToLiveMs: duration(
              queueOptions.defaultMessageTimeToLive,
              'defaultMessageTimeToLive',
            ),
            deadLetteringOnMessageExpiration: queueOptions.deadLetteringOnMessageExpiration,
            requiresDuplicateDetection: queueOptions.requiresDuplicateDetection,
            duplicateDetectionHistoryTimeWindowMs: duration(
              queueOptions.duplicateDetectionHistoryTimeWindow,
              'duplicateDetectionHistoryTimeWindow',
            ),
            forwardTo: queueOptions.forwardTo,
            forwardDeadLetteredMessagesTo: queueOptions.forwardDeadLetteredMessagesTo,
            requiresSession: queueOptions.requiresSession,
          } as never,
        })
      } catch (error) {
        if (error instanceof BrokerError)
          throw Object.assign(new Error(error.message), {
            code: 'MessagingEntityAlreadyExists',
            statusCode: 409,
          })
        throw error
      }
      return { name }
    },
    async deleteQueue(name) {
      if (!broker.deleteEntity(name)) {
        throw Object.assign(new Error(`The messaging entity '${name}' could not be found.`), {
          code: 'MessageEntityNotFoundError',
          statusCode: 404,
        })
      }
    },
    async queueExists(name) {
      return broker.hasQueue(name)
    },
  }
}
