export { canConnect, freePort, type StartedProcess, startProcess } from './process.js'
export {
  type Backend,
  type BackendSource,
  type BackendSpec,
  BackendUnavailableError,
  dockerStatus,
  inCI,
  resolveBackend,
} from './resolve.js'
