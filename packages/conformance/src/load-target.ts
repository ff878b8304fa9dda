import { existsSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { QueueDriver } from '@anyqueue/queue-core/driver'
import type { ConformanceTarget } from './target.js'

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts'])

/** A target module the CLI (or a child process of a case) could not load, said plainly. */
export class TargetLoadError extends Error {
  override name = 'TargetLoadError'
}

/**
 * Loads the ConformanceTarget a module exports (default or `target`; a plain `(store) => driver`
 * function is wrapped). A path that exists is a file, with or without `./`; a path-like specifier that
 * does not exist is "no such file"; anything else is a package name. A `.ts` file is loaded through
 * Node's own type stripping where it has it, else through `tsx` when installed.
 */
export async function loadTarget(specifier: string): Promise<ConformanceTarget> {
  const path = resolve(specifier)
  const isFile = existsSync(path)
  if (!isFile && /^[./]|[\\/]|\.[cm]?[jt]s$/.test(specifier) && !specifier.startsWith('@')) {
    throw new TargetLoadError(`${specifier}: no such file (looked for ${path})`)
  }
  if (isFile && TYPESCRIPT.has(extname(path))) await enableTypeScript(specifier)
  const module = await importTarget(specifier, isFile ? pathToFileURL(path).href : specifier)
  const exported = module.target ?? module.default
  const target: ConformanceTarget | undefined =
    typeof exported === 'function'
      ? { name: specifier, open: exported as (store: string) => QueueDriver }
      : exported && typeof exported === 'object' && typeof (exported as ConformanceTarget).open === 'function'
        ? (exported as ConformanceTarget)
        : undefined
  if (!target) {
    throw new TargetLoadError(
      `${specifier} exports neither a ConformanceTarget ({ name, open(store) }) nor a driver factory (store) => driver, as its default export or as \`target\``,
    )
  }
  // A file can be opened again by a child process: the cases that kill one need exactly that.
  return isFile && !target.process ? { ...target, process: { module: path } } : target
}

/**
 * The module itself: whatever its import throws (a module that throws at its top level, does not
 * parse, or is not installed) is the target failing to load, said in one line that names it.
 */
async function importTarget(
  specifier: string,
  url: string,
): Promise<{ default?: unknown; target?: unknown }> {
  try {
    return (await import(url)) as { default?: unknown; target?: unknown }
  } catch (error) {
    const reason =
      error instanceof Error ? `${error.name}: ${firstLine(error.message)}` : firstLine(String(error))
    throw new TargetLoadError(`${specifier} cannot be loaded: ${reason}`, { cause: error })
  }
}

const firstLine = (text: string) => text.split('\n', 1)[0]!.trim()

async function enableTypeScript(specifier: string): Promise<void> {
  if ((process.features as { typescript?: unknown }).typescript) return
  try {
    const tsx = (await import('tsx/esm/api' as string)) as { register(): void }
    tsx.register()
  } catch {
    throw new TargetLoadError(
      `${specifier} is TypeScript, and this Node (${process.version}) cannot load it on its own: install tsx (npm i -D tsx) and anyqueue-conformance uses it, run on Node ≥ 22.18 (type stripping), or compile the target to JavaScript first`,
    )
  }
}
