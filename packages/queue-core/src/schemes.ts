/**
 * The scheme registry behind open-by-URL (Go CDK's `OpenTopic("awssqs://…")` idea): one
 * configuration value picks the backend. Each adapter registers its scheme when imported;
 * `openDriver` looks the scheme up, and for a known scheme whose adapter was not imported yet,
 * tries to import it. Apart from `openQueueClient` (`open-url.ts`), so a driver that registers its
 * scheme loads no portable layer.
 */

import type { QueueDriver } from './contract.js'
import { QueueError } from './errors.js'
import { UrlParams } from './url-options.js'

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
  redis: { package: '@anyqueue/queue-redis', install: 'npm install @anyqueue/queue-redis ioredis' },
  rediss: { package: '@anyqueue/queue-redis', install: 'npm install @anyqueue/queue-redis ioredis' },
  servicebus: {
    package: '@anyqueue/queue-servicebus',
    install: 'npm install @anyqueue/queue-servicebus @azure/service-bus',
  },
  postgres: { package: '@anyqueue/queue-postgres', install: 'npm install @anyqueue/queue-postgres pg' },
  postgresql: { package: '@anyqueue/queue-postgres', install: 'npm install @anyqueue/queue-postgres pg' },
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

/** The driver `openQueueClient` would wrap. */
export async function openDriver(url: string | URL): Promise<QueueDriver> {
  const parsed = parseUrl(url)
  const scheme = parsed.protocol.slice(0, -1)
  let open = registry().get(scheme)
  const known = Object.hasOwn(KNOWN_SCHEMES, scheme) ? KNOWN_SCHEMES[scheme] : undefined
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
  try {
    const params = new UrlParams(parsed)
    const driver = open(parsed, params)
    params.assertAllRead()
    return driver
  } catch (error) {
    if (error instanceof QueueError) throw error
    // An opener that let a library's error through (an SDK refusing its configuration): the URL is wrong.
    const reason = error instanceof Error ? error.message : String(error)
    throw new QueueError('INVALID_ARGUMENT', `cannot open a driver for this "${scheme}:" URL: ${reason}`, {
      field: 'url',
      cause: error,
    })
  }
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
