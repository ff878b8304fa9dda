import type rhea from 'rhea'
import { type Credentials, plainLoginOk } from './auth.js'

/** A SASL mechanism as rhea's server runs it: `start` settles `outcome` (true: authenticated). */
interface Mechanism {
  outcome: boolean | undefined
  username: string | undefined
  start(response: Buffer | undefined, hostname: string | undefined): void
}

/**
 * The SASL mechanisms the emulator offers, in Service Bus's order. `MSSBCBS` means "the client will
 * authenticate afterwards with a token over `$cbs`", which SDKs built on uamqp and Qpid Proton ask
 * for; `PLAIN` carries a SAS key name and key; `ANONYMOUS` is what the JavaScript SDK settles on.
 * Clients may also skip SASL (rhea's selective server). A PLAIN login must carry the key name and
 * key (unless any key is allowed); the others authenticate later, over `$cbs`.
 */
export function saslMechanisms(container: rhea.Container, credentials: Credentials): void {
  const mechanisms = (container as unknown as { sasl_server_mechanisms: Record<string, () => Mechanism> })
    .sasl_server_mechanisms
  const accepting = (name: string) => (): Mechanism => ({
    outcome: undefined,
    username: undefined,
    start(response) {
      if (name !== 'PLAIN') {
        this.outcome = true
        this.username = name.toLowerCase()
        return
      }
      const [, user = '', password = ''] = response?.toString('utf8').split('\u0000') ?? []
      this.outcome = plainLoginOk(user, password, credentials)
      this.username = user
    },
  })
  mechanisms.MSSBCBS = accepting('MSSBCBS')
  mechanisms.PLAIN = accepting('PLAIN')
  mechanisms.ANONYMOUS = accepting('ANONYMOUS')
}
