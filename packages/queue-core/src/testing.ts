/**
 * `@anyqueue/queue-core/testing`: what a test of queue code or of a driver needs and production code
 * does not — a `ManualClock` that moves only when told to. Like `/driver`, it never loads the
 * portable layer.
 */
export { ManualClock } from './manual-clock.js'
