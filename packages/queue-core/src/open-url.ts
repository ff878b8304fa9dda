/**
 * Open by URL (Go CDK's `OpenTopic("awssqs://…")` idea): one configuration value picks the backend.
 * Each adapter registers its scheme when imported; `openQueueClient` looks the scheme up, and for
 * a known scheme whose adapter was not imported yet, tries to import it.
 */

import { QueueClient, type QueueClientOptions } from './client.js'
import type { QueueDriver } from './driver.js'
import { QueueError } from './errors.js'

/** Builds a driver from a URL of its scheme. Read options with `params`; it rejects unknown ones. */
export type SchemeOpener = (url: URL, params: UrlParams) => QueueDriver

/** The scheme of each anyqueue adapter, and what to install for it. */
export const KNOWN_SCHEMES: Readonly<Record<string, { package: string; install: string }>> = {
  local: { package: '@anyqueue/queue-local', install: 'npm install @anyqueue/queue-local' },
  memory: { package: '@anyqueue/queue-memory', install: 'npm install @anyqueue/queue-memory' },
  sqs: { package: '@anyqueue/queue-sqs', install: 'npm install @anyqueue/queue-sqs @aws-sdk/client-sqs' },
  pubsub: {
    package: '@anyqueue/queue-pubsub',
    install: 'npm install @anyqueue/queue-pubsub @google-cloud/pubsub',
  },
  servicebus: {
    package: '@anyqueue/queue-servicebus',
    install: 'npm install @anyqueue/queue-servicebus @azure/service-bus',
  },
}

// Kept on globalThis under a registered symbol, so an adapter that registered with another copy of
// this package is still found.
const REGISTRY = Symbol.for('@anyqueue/queue-core/schemes')
function registry(): Map<string, SchemeOpener> {
  const holder = globalThis as { [REGISTRY]?: Map<string, SchemeOpener> }
  holder[REGISTRY] ??= new Map()
  return holder[REGISTRY]
}

/** Makes `openQueueClient('<scheme>:…')` use `open`. Adapters call it when imported; the last wins. */
export function registerScheme(scheme: string, open: SchemeOpener): void {
  if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `scheme must be lowercase letters, digits, +, - or ., got "${scheme}"`,
      {
        field: 'scheme',
      },
    )
  }
  registry().set(scheme, open)
}

/** The schemes registered so far, sorted. */
export function registeredSchemes(): string[] {
  return [...registry().keys()].sort()
}

/**
 * Opens a `QueueClient` on the driver a URL names:
 *
 *   local:./data?createIfMissing=true     memory:
 *   sqs://?region=eu-west-1&prefix=prod-  sqs://127.0.0.1:4566
 *   pubsub://my-project                   servicebus://?connectionString=Endpoint%3Dsb%3A%2F%2F…
 *
 * Options go in the query (`leaseSeconds`, `createIfMissing`, `prefix`, … — see each adapter's
 * README); an unknown one is `INVALID_ARGUMENT`. An unknown scheme is `NOT_SUPPORTED`, naming the
 * package to install.
 */
export async function openQueueClient(
  url: string | URL,
  options: QueueClientOptions = {},
): Promise<QueueClient> {
  return new QueueClient(await openDriver(url), options)
}

/** The driver `openQueueClient` would wrap. */
export async function openDriver(url: string | URL): Promise<QueueDriver> {
  const parsed = parseUrl(url)
  const scheme = parsed.protocol.slice(0, -1)
  let open = registry().get(scheme)
  const known = KNOWN_SCHEMES[scheme]
  if (!open && known) {
    await import(known.package).catch(() => undefined) // not installed, or not resolvable from here
    open = registry().get(scheme)
  }
  if (!open) {
    const hint = known
      ? `install it (${known.install}) and import "${known.package}" before opening the URL`
      : `anyqueue adapters register ${Object.keys(KNOWN_SCHEMES)
          .map((s) => `${s}:`)
          .join(', ')}; a custom driver registers its own with registerScheme()`
    throw new QueueError('NOT_SUPPORTED', `no driver for "${scheme}:" URLs: ${hint}`, { field: 'url' })
  }
  const params = new UrlParams(parsed)
  const driver = open(parsed, params)
  params.assertAllRead()
  return driver
}

function parseUrl(url: string | URL): URL {
  if (url instanceof URL) return url
  if (typeof url === 'string' && URL.canParse(url)) return new URL(url)
  throw new QueueError(
    'INVALID_ARGUMENT',
    `url must look like "local:./data", "memory:" or "sqs://…", got ${JSON.stringify(String(url))}`,
    { field: 'url' },
  )
}

/**
 * The query options of a URL, read with a type each. Every error names the option; an option
 * nobody read is an error too, so a typo never goes unnoticed.
 */
export class UrlParams {
  readonly #url: URL
  readonly #read = new Set<string>()

  constructor(url: URL) {
    this.#url = url
    for (const name of new Set(url.searchParams.keys())) {
      if (url.searchParams.getAll(name).length > 1) throw invalid(name, 'is given more than once')
    }
  }

  string(name: string): string | undefined {
    this.#read.add(name)
    return this.#url.searchParams.get(name) ?? undefined
  }

  /** A whole number; within `bounds` when given (else the driver checks its own range). */
  integer(name: string, bounds?: { min: number; max: number }): number | undefined {
    const text = this.string(name)
    if (text === undefined) return undefined
    const value = Number(text)
    const { min, max } = bounds ?? { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }
    if (!/^-?\d+$/.test(text) || value < min || value > max) {
      const range = bounds ? ` from ${min} to ${max}` : ''
      throw invalid(name, `must be a whole number${range}, got "${text}"`, bounds?.max)
    }
    return value
  }

  boolean(name: string): boolean | undefined {
    const text = this.string(name)
    if (text === undefined) return undefined
    if (text === 'true' || text === '1' || text === '') return true
    if (text === 'false' || text === '0') return false
    throw invalid(name, `must be true or false, got "${text}"`)
  }

  /** @internal */
  assertAllRead(): void {
    const unknown = [...this.#url.searchParams.keys()].filter((name) => !this.#read.has(name))
    if (unknown.length > 0) {
      const known = [...this.#read].sort().join(', ') || 'none'
      throw invalid(unknown[0]!, `is not an option of "${this.#url.protocol}" URLs (known: ${known})`)
    }
  }
}

function invalid(name: string, problem: string, limit?: number): QueueError {
  return new QueueError('INVALID_ARGUMENT', `url option ${name} ${problem}`, { field: `url?${name}`, limit })
}

/** `options` without its undefined fields, so a URL that leaves an option out keeps the driver's default. */
export function definedOptions<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T
}
