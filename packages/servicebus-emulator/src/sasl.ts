import type rhea from 'rhea'

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
 * Clients may also skip SASL (rhea's selective server). Every login succeeds: the emulator checks
 * no credentials.
 */
export function saslMechanisms(container: rhea.Container): void {
  const mechanisms = (container as unknown as { sasl_server_mechanisms: Record<string, () => Mechanism> })
    .sasl_server_mechanisms
  const accepting = (name: string) => (): Mechanism => ({
    outcome: undefined,
    username: undefined,
    start(response) {
      this.outcome = true
      this.username = name === 'PLAIN' ? plainUser(response) : name.toLowerCase()
    },
  })
  mechanisms.MSSBCBS = accepting('MSSBCBS')
  mechanisms.PLAIN = accepting('PLAIN')
  mechanisms.ANONYMOUS = accepting('ANONYMOUS')
}

/** PLAIN's response is `authzid NUL authcid NUL password`: the user is the middle field. */
function plainUser(response: Buffer | undefined): string {
  return response?.toString('utf8').split('\u0000')[1] ?? ''
}
