import { existsSync, mkdirSync } from 'node:fs'
import { NotFoundError } from './exit-codes.js'

/**
 * A `local:` store is a LevelDB folder that opening creates. Only `create` (and `send` on a URL
 * with `createIfMissing`) may make one; any other command on a folder that does not exist would
 * leave an empty store behind a mistyped path, so it fails before opening anything.
 */
export function assertLocalStoreExists(url: string, command: string): void {
  if (!url.startsWith('local:') || !URL.canParse(url)) return
  const parsed = new URL(url)
  if (command === 'create') {
    // The adapter opens only a folder that exists unless the URL says createIfMissing (which would
    // also create queues on first use): `create` makes the folder itself, and nothing more.
    const location = localLocation(parsed)
    if (location !== '') mkdirSync(location, { recursive: true })
    return
  }
  const createIfMissing = parsed.searchParams.get('createIfMissing')
  if (command === 'send' && (createIfMissing === 'true' || createIfMissing === '1' || createIfMissing === ''))
    return
  const location = localLocation(parsed)
  if (location === '' || existsSync(location)) return
  throw new NotFoundError(
    `no local store at ${location}: check the path, or make one there with: anyqueue ${url} create <queue>`,
  )
}

/** As @anyqueue/queue-local reads the URL: the path (with a host, a UNC-like //host/path) is the folder. */
function localLocation(parsed: URL): string {
  return decodeURIComponent(parsed.host ? `//${parsed.host}${parsed.pathname}` : parsed.pathname)
}
