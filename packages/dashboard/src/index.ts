export type { ShownMessage } from './actions.js'
export { createDashboard, type Dashboard, type DashboardOptions } from './dashboard.js'
export type { Sample } from './history.js'
export {
  type ConsumerTotals,
  collectQueueMetrics,
  type QueueMetrics,
  type QueueMetricsOptions,
} from './metrics.js'
export { escapeHtml } from './page.js'
export type { SubscriptionRef, TargetOptions, TargetStats } from './targets.js'
