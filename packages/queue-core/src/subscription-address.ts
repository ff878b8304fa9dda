/** The address the portable layer gives a driver's queue methods for a subscription. */
export function subscriptionAddress(topic: string, subscription: string): string {
  return `${topic}/${subscription}`
}

/** `{ topic, subscription }` when `address` names a subscription, undefined for a plain queue. */
export function parseSubscriptionAddress(
  address: string,
): { topic: string; subscription: string } | undefined {
  const slash = address.indexOf('/')
  if (slash < 0) return undefined
  return { topic: address.slice(0, slash), subscription: address.slice(slash + 1) }
}
