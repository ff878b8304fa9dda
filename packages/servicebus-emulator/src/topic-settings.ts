import type { EntityProperties } from './config.js'

/** The settings a topic has of its own; the rest belong to its subscriptions. */
export type TopicSetting =
  | 'defaultMessageTimeToLiveMs'
  | 'requiresDuplicateDetection'
  | 'duplicateDetectionHistoryTimeWindowMs'

/** The topic settings among `properties`. */
export function topicSettings(
  properties: Partial<EntityProperties>,
): Pick<Partial<EntityProperties>, TopicSetting> {
  const { defaultMessageTimeToLiveMs, requiresDuplicateDetection, duplicateDetectionHistoryTimeWindowMs } =
    properties
  return Object.fromEntries(
    Object.entries({
      defaultMessageTimeToLiveMs,
      requiresDuplicateDetection,
      duplicateDetectionHistoryTimeWindowMs,
    }).filter(([, v]) => v !== undefined),
  )
}
