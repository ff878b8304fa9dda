export { type ConformanceCase, needs, type Requirement, skipReason } from './case.js'
export { allConsumerCases as consumerCases, cases, queueCases, selectCases } from './cases/index.js'
export { CaseContext } from './context.js'
export { assertOutageReport, type OutageReport, outageScenario } from './faults.js'
export { sendThroughDriver } from './foreign-producer.js'
export { formatMatrix, type MatrixCell } from './format.js'
export {
  drain,
  expectNeverFor,
  expectNothingFor,
  expectQueueError,
  receiveOne,
  receiveUntil,
} from './helpers.js'
export {
  type Delivery,
  type DriverCall,
  type DriverMethod,
  type Fault,
  InstrumentedDriver,
} from './instrumented-driver.js'
export { type BackendTiming, probeBackend, type TimingOptions, timingLine } from './probe.js'
export {
  CaseFailure,
  type CaseResult,
  type CaseStatus,
  CaseTimeoutError,
  type RunOptions,
  runCase,
  runConformance,
} from './run.js'
export type { ConformanceTarget, ForeignMessage } from './target.js'
export { triggerCases } from './trigger-cases.js'
export {
  pollingTriggerTarget,
  runTriggerCases,
  type Settle,
  settleAsConsume,
  type TriggerCaseResult,
} from './trigger-run.js'
export type { TriggerCase, TriggerCaseOptions, TriggerQueue, TriggerTarget } from './trigger-target.js'
