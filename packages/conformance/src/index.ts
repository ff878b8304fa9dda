export { type ConformanceCase, cases, queueCases } from './cases.js'
export { consumerCases } from './consumer-cases.js'
export { CaseContext } from './context.js'
export { assertOutageReport, type OutageReport, outageScenario } from './faults.js'
export { formatMatrix, type MatrixCell } from './format.js'
export {
  drain,
  expectNeverFor,
  expectNothingFor,
  expectQueueError,
  receiveOne,
  receiveUntil,
} from './helpers.js'
export { type CaseResult, type CaseStatus, type RunOptions, runCase, runConformance } from './run.js'
export type { ConformanceTarget } from './target.js'
