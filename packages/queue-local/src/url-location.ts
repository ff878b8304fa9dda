import { QueueError } from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

/**
 * The folder a `local:` URL names: its path, decoded once, segment by segment. The URL parser has
 * already resolved the `.` and `..` it saw, so an escape decoded afterwards — `%2e%2e`, `%2f`, `%5c`
 * or a NUL — would leave the folder the URL shows: it is refused, as is a malformed escape (`%zz`).
 * Literal `..` segments (`local:../data`) are kept: they are what the URL shows.
 */
export function urlLocation(path: string): string {
  return path
    .split('/')
    .map((segment) => {
      let decoded: string
      try {
        decoded = decodeURIComponent(segment)
      } catch {
        throw invalid(`"${segment}" has a malformed %-escape`)
      }
      if (decoded === segment) return decoded
      if (/[/\\\0]/.test(decoded) || decoded === '.' || decoded === '..') {
        throw invalid(
          `"${segment}" decodes to "${decoded.replace(/\0/g, '\\0')}", a path separator, dot or NUL`,
        )
      }
      return decoded
    })
    .join('/')
}

function invalid(problem: string): QueueError {
  return new QueueError('INVALID_ARGUMENT', `the path of a local: URL: ${problem}`, {
    field: 'url',
    driver: DRIVER_NAME,
  })
}
