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
 * "sr\nse" under the key>&se=<expiry, s>&skn=<key name>`, as Service Bus checks it.
 */
export function tokenProblem(token: unknown, credentials: Credentials, now = Date.now()): string | undefined {
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
  return undefined
}

/** A SASL PLAIN login: the key name and the key, unless any key is allowed. */
export function plainLoginOk(user: string, password: string, credentials: Credentials): boolean {
  return credentials.allowAnyKey || (user === credentials.keyName && password === credentials.key)
}
