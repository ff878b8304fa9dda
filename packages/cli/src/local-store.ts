import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { NotFoundError } from './exit-codes.js'

/**
 * A `local:` store is a LevelDB folder that opening creates. Only `create` (and `send` on a URL
 * with `createIfMissing`) may make one; any other command on a folder that does not exist, or that
 * holds no store, would leave LevelDB files behind a mistyped path, so it fails before opening
 * anything.
 */
export function assertLocalStoreExists(url: string, command: string): void {
  const parsed = localUrl(url)
  if (!parsed) return
  const location = localLocation(parsed)
  if (location === undefined || location === '') return // the adapter refuses it, by name
  if (command === 'create') {
    // The adapter opens only a folder that exists unless the URL says createIfMissing (which would
    // also create queues on first use): `create` makes the folder itself, and nothing more.
    mkdirSync(location, { recursive: true })
    return
  }
  const createIfMissing = parsed.searchParams.get('createIfMissing')
  if (command === 'send' && (createIfMissing === 'true' || createIfMissing === '1' || createIfMissing === ''))
    return
  if (!existsSync(location)) {
    throw new NotFoundError(
      `no local store at ${location}: check the path, or make one there with: anyqueue ${url} create <queue>`,
    )
  }
  if (!isLocalStore(location)) {
    throw new NotFoundError(
      `${location} holds files but no local store: check the path (a store is made only in a new or empty folder)`,
    )
  }
}

/**
 * The folder of a `local:` URL when the command may create the store there (it does not exist yet):
 * `removeFailedStore` takes it away again if the command fails, so a failed command leaves nothing.
 */
export function newStoreLocation(url: string | undefined): string | undefined {
  const parsed = url === undefined ? undefined : localUrl(url)
  const location = parsed && localLocation(parsed)
  return location && !existsSync(location) ? location : undefined
}

/** Removes a store this command created (see `newStoreLocation`); after the client is closed. */
export function removeFailedStore(location: string | undefined): void {
  if (location !== undefined) rmSync(location, { recursive: true, force: true })
}

/** A LevelDB folder has its `CURRENT` file from the moment it is made; an empty folder may become one. */
function isLocalStore(location: string): boolean {
  if (existsSync(join(location, 'CURRENT'))) return true
  try {
    return readdirSync(location).length === 0
  } catch {
    return true // not a folder, or unreadable: the adapter says which, by name
  }
}

/** The URL when it is a `local:` one, whatever the case of its scheme (`LOCAL:` is `local:`). */
function localUrl(url: string): URL | undefined {
  if (!URL.canParse(url)) return undefined
  const parsed = new URL(url)
  return parsed.protocol === 'local:' ? parsed : undefined
}

/**
 * As @anyqueue/queue-local reads the URL: the path (with a host, a UNC-like //host/path) is the
 * folder. Undefined for a malformed %-escape: the adapter refuses the URL with a typed error.
 */
function localLocation(parsed: URL): string | undefined {
  try {
    return decodeURIComponent(parsed.host ? `//${parsed.host}${parsed.pathname}` : parsed.pathname)
  } catch {
    return undefined
  }
}
