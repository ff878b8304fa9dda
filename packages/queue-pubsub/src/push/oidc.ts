import { OAuth2Client } from 'google-auth-library'

/**
 * Checks the OIDC token a push subscription with authentication sends (`Authorization: Bearer`):
 * signed by Google, not expired, for `audience`, from `issuer`, and — when `email` is given — for
 * that verified service account.
 */
export interface PushAuthOptions {
  /** The audience the push subscription was given (default there: the push endpoint URL). */
  audience: string | string[]
  /** The service account the subscription signs as; checked with `email_verified`. */
  email?: string
  /** Accepted issuers. Default Google's: `accounts.google.com` and `https://accounts.google.com`. */
  issuer?: string | string[]
  /** Your own `OAuth2Client` (its certificate cache, proxy, issuers); built once otherwise. */
  client?: OAuth2Client
}

/** Why a request was refused: `401` without a token, `403` with one that does not verify. */
export class PushAuthError extends Error {
  override name = 'PushAuthError'
  readonly status: 401 | 403
  constructor(status: 401 | 403, message: string) {
    super(message)
    this.status = status
  }
}

/** A verifier for `options`: resolves with the token's claims, or rejects with a `PushAuthError`. */
export function pushVerifier(
  options: PushAuthOptions,
): (authorization: string | null) => Promise<Record<string, unknown>> {
  const issuers = options.issuer === undefined ? undefined : [options.issuer].flat()
  const client = options.client ?? new OAuth2Client(issuers ? { issuers } : {})
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')
    if (!match) throw new PushAuthError(401, 'the push request carries no bearer token')
    let claims: Record<string, unknown> | undefined
    try {
      const ticket = await client.verifyIdToken({ idToken: match[1]!, audience: options.audience })
      claims = ticket.getPayload() as Record<string, unknown> | undefined
    } catch (error) {
      // The library's messages may quote the token: never echo or log a credential.
      const why = String((error as Error)?.message ?? error).replaceAll(match[1]!, '<token>')
      throw new PushAuthError(403, `the push token does not verify: ${why}`)
    }
    if (!claims) throw new PushAuthError(403, 'the push token has no claims')
    if (options.email !== undefined && (claims.email !== options.email || claims.email_verified !== true)) {
      throw new PushAuthError(
        403,
        `the push token is for ${JSON.stringify(claims.email)}, not the verified ${JSON.stringify(options.email)}`,
      )
    }
    return claims
  }
}
