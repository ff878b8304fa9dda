import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** AMQPS for SDKs that always dial TLS (older ones ignore `UseDevelopmentEmulator`). */
export interface TlsOptions {
  /** Port of the TLS listener; 0 (the default) picks a free one. Service Bus uses 5671. */
  port?: number
  /** PEM key and certificate; without them a self-signed certificate is generated. */
  key?: string | Buffer
  cert?: string | Buffer
}

export interface TlsCertificate {
  key: string | Buffer
  cert: string | Buffer
  /** Where the certificate is written, for `NODE_EXTRA_CA_CERTS` or a client's trust store. */
  certPath: string
  /** Removes the temporary directory of the certificate (and of a generated key). */
  remove(): Promise<void>
}

/**
 * The listener's certificate: the one given, or a fresh self-signed one (EC P-256, SHA-256, for
 * `localhost`, `127.0.0.1`, `::1` and the listening host), written to a new temporary directory.
 */
export async function tlsCertificate(options: TlsOptions, host: string): Promise<TlsCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'servicebus-emulator-tls-'))
  const certPath = join(dir, 'cert.pem')
  const remove = () => rm(dir, { recursive: true, force: true })
  if (options.key !== undefined && options.cert !== undefined) {
    await writeFile(certPath, options.cert)
    return { key: options.key, cert: options.cert, certPath, remove }
  }
  // Loaded only when asked for: plain-AMQP users pay nothing for it at startup.
  const { generate } = await import('selfsigned')
  const ip = /^[\d.]+$|:/.test(host)
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          ...(ip ? [{ type: 7 as const, ip: host }] : [{ type: 2 as const, value: host }]),
        ],
      },
    ],
  })
  await writeFile(certPath, pems.cert)
  await writeFile(join(dir, 'key.pem'), pems.private, { mode: 0o600 })
  return { key: pems.private, cert: pems.cert, certPath, remove }
}
