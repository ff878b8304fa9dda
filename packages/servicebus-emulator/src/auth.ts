import { createHmac, timingSafeEqual } from 'node:crypto'

/** The shared access key clients must sign with; the defaults are Microsoft's emulator's. */
export interface Credentials {
  keyName: string
  key: string
  /** Accept any token and any PLAIN login (`--allow-any-key`). */
  allowAnyKey: boolean
}

export const DEFAULT_KEY_NAME = 'RootManageSharedAccessKey'
export const DEFAULT_KEY = 'SAS_KEY_VALUE'

/**
 * Why a `$cbs` put-token is refused, or undefined when its shared access signature is valid:
 * `SharedAccessSignature sr=<url-encoded audience>&sig=<url-encoded base64 HMAC-SHA256 of
 * "sr\nse" under the key>&se=<expiry, s>&skn=<key name>`, as Service Bus checks it. When the
 * request names the entity it authorizes (`name`, an `sb://host/path` URL), the token's audience
 * must be that entity or one of its parents: a namespace token is valid for every entity.
 */
export function tokenProblem(
  token: unknown,
  credentials: Credentials,
  now = Date.now(),
  entity?: string,
): string | undefined {
  if (credentials.allowAnyKey) return undefined
  if (typeof token !== 'string' || !token.startsWith('SharedAccessSignature '))
    return 'InvalidToken: only shared access signatures are accepted (start the emulator with --allow-any-key to accept any token).'
  const fields = new Map<string, string>()
  for (const part of token.slice('SharedAccessSignature '.length).split('&')) {
    const eq = part.indexOf('=')
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1))
  }
  const [sr, sig, se, skn] = ['sr', 'sig', 'se', 'skn'].map((k) => fields.get(k))
  if (!sr || !sig || !se || !skn) return 'InvalidToken: the token lacks sr, sig, se or skn.'
  if (skn !== credentials.keyName)
    return `InvalidSignature: the token names the key '${decodeURIComponent(skn)}', not '${credentials.keyName}'.`
  if (!(Number(se) * 1000 > now)) return 'ExpiredToken: the token has expired.'
  const expected = createHmac('sha256', credentials.key).update(`${sr}\n${se}`).digest()
  let given: Buffer
  try {
    given = Buffer.from(decodeURIComponent(sig), 'base64')
  } catch {
    return 'InvalidSignature: the signature is not base64.'
  }
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return 'InvalidSignature: the token has an invalid signature.'
  const audience = safeDecode(sr)
  if (entity !== undefined && !covers(audience, entity))
    return `InvalidAudience: the token is for '${audience}', not for '${entity}' or a parent of it.`
  return undefined
}

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * The path of an audience, segment by segment, lower case: scheme, host and port are not compared
 * (clients reach the emulator by whatever name its host has), the entity path is.
 */
function pathOf(audience: string): string[] {
  const withoutScheme = audience.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const slash = withoutScheme.indexOf('/')
  const path = slash < 0 ? '' : withoutScheme.slice(slash + 1)
  return path
    .split(/[?#]/)[0]!
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.toLowerCase())
}

/** Whether a token for `audience` is valid for `entity`: the same path, or a parent of it. */
export function covers(audience: string, entity: string): boolean {
  const parent = pathOf(audience)
  const child = pathOf(entity)
  return parent.length <= child.length && parent.every((segment, i) => segment === child[i])
}

/** A SASL PLAIN login: the key name and the key, unless any key is allowed. */
export function plainLoginOk(user: string, password: string, credentials: Credentials): boolean {
  return credentials.allowAnyKey || (user === credentials.keyName && password === credentials.key)
}
