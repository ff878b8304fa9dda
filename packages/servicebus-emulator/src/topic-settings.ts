/** The settings a topic has of its own; the rest of an entity's properties belong to its subscriptions. */
export const TOPIC_SETTINGS = [
  'defaultMessageTimeToLiveMs',
  'requiresDuplicateDetection',
  'duplicateDetectionHistoryTimeWindowMs',
  'maxSizeInMegabytes',
] as const

export type TopicSetting = (typeof TOPIC_SETTINGS)[number]

/** The topic settings among `properties` (an entity's properties, or part of them), the unset ones left out. */
export function topicSettings<P extends Partial<Record<TopicSetting, unknown>>>(
  properties: P,
): Pick<P, TopicSetting> {
  return Object.fromEntries(
    TOPIC_SETTINGS.filter((key) => properties[key] !== undefined).map((key) => [key, properties[key]]),
  ) as Pick<P, TopicSetting>
}
