// Module-resolution hooks (node:module register): the two entry points of @anyqueue/queue-core go to
// the copied dist; a bare import made from inside the copy (e.g. @opentelemetry/api) resolves as it
// would from the real package, whose node_modules the copy lacks.
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

/** @type {{ copy: string, original: string, entries: Record<string, string> }} */
let state

export function initialize({ dist }) {
  const original = join(
    dirname(createRequire(import.meta.url).resolve('@anyqueue/queue-core/package.json')),
    'dist',
  )
  state = {
    copy: pathToFileURL(`${dist}/`).href,
    original: pathToFileURL(`${original}/`).href,
    entries: {
      '@anyqueue/queue-core': pathToFileURL(join(dist, 'index.js')).href,
      '@anyqueue/queue-core/driver': pathToFileURL(join(dist, 'driver.js')).href,
    },
  }
}

export async function resolve(specifier, context, nextResolve) {
  const entry = state.entries[specifier]
  if (entry) return { url: entry, shortCircuit: true }
  const bare = !/^(?:\.{0,2}\/|[a-z]+:)/.test(specifier)
  if (bare && context.parentURL?.startsWith(state.copy)) {
    const parentURL = state.original + context.parentURL.slice(state.copy.length)
    return nextResolve(specifier, { ...context, parentURL })
  }
  return nextResolve(specifier, context)
}
