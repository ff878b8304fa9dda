import type { Capabilities } from './contract.js'
import { QueueError } from './errors.js'

/** What `UrlParams.commonOptions()` reads: options every anyqueue driver has. */
export interface CommonUrlOptions {
  leaseSeconds?: number
  createIfMissing?: boolean
  untypedBody?: Capabilities['untypedBody']
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

  /**
   * The options every driver reads from its URL the same way — `leaseSeconds`, `createIfMissing`,
   * `untypedBody` — with those the URL leaves out left out too, so the driver's defaults hold.
   * Spread it into the driver's options; the driver validates the values as for any caller.
   */
  commonOptions(): CommonUrlOptions {
    return definedOptions({
      leaseSeconds: this.integer('leaseSeconds'),
      createIfMissing: this.boolean('createIfMissing'),
      untypedBody: this.string('untypedBody') as CommonUrlOptions['untypedBody'],
    })
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
