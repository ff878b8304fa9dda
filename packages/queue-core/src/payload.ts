import { QueueError } from './errors.js'
import { LIMITS } from './limits.js'

/** Any value JSON can represent exactly. A `string` payload is sent as text, anything else as JSON. */
export type Payload = string | number | boolean | null | Payload[] | { [key: string]: Payload }

/**
 * The check a payload type passes, member by member, so an `interface` works as well as a `type`
 * alias (an interface has no index signature, so it is never assignable to `Payload` itself):
 * `T` mapped to itself where every member is text, a number, a boolean, null, an array or an
 * object of such members, and to `never` at a member that is not — a function or method, a
 * `symbol`, a `bigint`, `undefined` in a required member, a `Date` or other class with methods.
 */
export type JsonShaped<T> = [T] extends [Payload]
  ? T // already a payload (every type alias that was accepted before): nothing to look into
  : T extends string | number | boolean | null
    ? T
    : T extends (...args: never[]) => unknown
      ? never
      : T extends object
        ? { [K in keyof T]: JsonShaped<T[K]> }
        : never

/**
 * The constraint of `client.queue<T>()`, `client.topic<T>()` and `client.subscription<T>()`: a
 * `Payload` (so generic code with `T extends Payload` keeps compiling), or an array or object —
 * an interface — whose members pass `JsonShaped`. (A
 * constraint may not be a conditional type of its own parameter, hence the mapped type at the top;
 * it means a bare function type as the whole payload is not caught.)
 */
export type PayloadShape<T> = Payload | { [K in keyof T]: JsonShaped<T[K]> }

export const CONTENT_TYPE_TEXT = 'text/plain; charset=utf-8'
export const CONTENT_TYPE_JSON = 'application/json'

export interface EncodedPayload {
  body: string
  contentType: typeof CONTENT_TYPE_TEXT | typeof CONTENT_TYPE_JSON
  /** UTF-8 bytes of `body`. */
  bytes: number
}

/**
 * Validates and encodes a payload in one pass: every value is read exactly once, checked, and
 * written, so the bytes that were checked are the bytes that are sent — a getter, a Proxy or a
 * `toJSON` cannot change the message between the check and the send. `JSON.stringify` is never
 * called on the payload itself: it would call `toJSON`, drop `undefined` and array named
 * properties, and turn `NaN` into `null`; the contract forbids silent coercion.
 */
export function encodePayload(payload: unknown, field = 'payload'): EncodedPayload {
  let body: string
  let contentType: EncodedPayload['contentType']
  if (typeof payload === 'string') {
    if (!payload.isWellFormed()) throw invalid(field, 'contains a lone UTF-16 surrogate')
    body = payload
    contentType = CONTENT_TYPE_TEXT
  } else {
    body = new JsonWriter(field).write(payload)
    contentType = CONTENT_TYPE_JSON
  }
  const bytes = Buffer.byteLength(body, 'utf8')
  if (bytes > LIMITS.maxPayloadBytes) throw tooLarge(field, `${bytes} bytes`)
  return { body, contentType, bytes }
}

/**
 * Decodes a body as received. A message without a JSON content type — sent by another tool — is
 * text. A body that claims JSON but does not parse throws `INVALID_PAYLOAD`: it is never silently
 * turned into text (a received message carries that error as `decodeError` instead).
 */
export function decodePayload(body: string, contentType: string | undefined): Payload {
  if (contentType !== undefined && isJsonContentType(contentType)) {
    try {
      return JSON.parse(body) as Payload
    } catch (error) {
      throw new QueueError(
        'INVALID_PAYLOAD',
        `payload has content type ${JSON.stringify(contentType)} but is not valid JSON`,
        { field: 'payload', cause: error },
      )
    }
  }
  return body
}

export function isJsonContentType(contentType: string): boolean {
  if (contentType === CONTENT_TYPE_JSON) return true // what our own sends carry
  const base = contentType.split(';', 1)[0]!.trim().toLowerCase()
  return base === CONTENT_TYPE_JSON
}

function invalid(field: string, why: string, extra: { cause?: unknown; limit?: number } = {}): QueueError {
  return new QueueError('INVALID_PAYLOAD', `${field} ${why}; payloads must be text or a JSON value`, {
    field,
    ...extra,
  })
}

function tooLarge(field: string, size: string): QueueError {
  return new QueueError(
    'MESSAGE_TOO_LARGE',
    `${field} is ${size} once encoded; the limit is ${LIMITS.maxPayloadBytes} bytes (UTF-8)`,
    { field, limit: LIMITS.maxPayloadBytes },
  )
}

/**
 * Writes JSON text while it checks: plain objects, dense arrays without named properties, finite
 * numbers, well-formed strings, booleans and null, nested at most `LIMITS.maxPayloadDepth` deep.
 * The path to the current value is kept as a stack and only turned into text for an error.
 */
class JsonWriter {
  readonly #root: string
  readonly #path: Array<string | number> = []
  readonly #ancestors: object[] = []
  #out = ''

  constructor(root: string) {
    this.#root = root
  }

  write(value: unknown): string {
    this.#value(value)
    return this.#out
  }

  #field(): string {
    let field = this.#root
    for (const step of this.#path) field += typeof step === 'number' ? `[${step}]` : `.${step}`
    return field
  }

  #value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        if (!value.isWellFormed()) throw invalid(this.#field(), 'contains a lone UTF-16 surrogate')
        this.#out += JSON.stringify(value)
        break
      case 'number':
        if (!Number.isFinite(value)) throw invalid(this.#field(), `is ${value}, which JSON cannot represent`)
        this.#out += String(value) // as JSON writes it: -0 becomes 0
        break
      case 'boolean':
        this.#out += value ? 'true' : 'false'
        break
      case 'object':
        if (value === null) this.#out += 'null'
        else this.#object(value)
        break
      default:
        throw invalid(this.#field(), `is of type ${typeof value}, which JSON cannot represent`)
    }
    // UTF-8 never takes fewer bytes than UTF-16 code units: past the limit in units, stop writing.
    if (this.#out.length > LIMITS.maxPayloadBytes) {
      throw tooLarge(this.#root, `more than ${LIMITS.maxPayloadBytes} bytes`)
    }
  }

  #object(value: object): void {
    if (this.#ancestors.includes(value)) throw invalid(this.#field(), 'refers to itself (a cycle)')
    if (this.#ancestors.length >= LIMITS.maxPayloadDepth) {
      throw invalid(this.#field(), `is nested deeper than ${LIMITS.maxPayloadDepth} levels`, {
        limit: LIMITS.maxPayloadDepth,
      })
    }
    this.#ancestors.push(value)
    let isArray: boolean
    let keys: string[]
    try {
      // A revoked Proxy throws from these; so may a Proxy's traps.
      isArray = Array.isArray(value)
      if (!isArray) {
        const proto = Object.getPrototypeOf(value)
        if (proto !== Object.prototype && proto !== null) {
          throw invalid(this.#field(), `is a ${constructorName(value)}, not a plain object`)
        }
      }
      keys = Object.keys(value)
    } catch (error) {
      throw this.#unreadable(error)
    }
    if (isArray) this.#array(value as unknown[], keys)
    else this.#record(value as Record<string, unknown>, keys)
    this.#ancestors.pop()
  }

  #array(value: unknown[], keys: string[]): void {
    let length: number
    try {
      length = value.length
    } catch (error) {
      throw this.#unreadable(error)
    }
    if (keys.length !== length) this.#arrayShape(value, keys, length)
    this.#out += '['
    for (let i = 0; i < length; i++) {
      if (i > 0) this.#out += ','
      this.#path.push(i)
      this.#value(this.#read(value, i))
      this.#path.pop()
    }
    this.#out += ']'
  }

  /** Why an array's own keys are not exactly its indices: a hole, or a named property. */
  #arrayShape(value: unknown[], keys: string[], length: number): never {
    for (const key of keys) {
      const index = Number(key)
      if (!(Number.isInteger(index) && index >= 0 && index < length && String(index) === key)) {
        throw invalid(
          this.#field(),
          `is an array with a named property ${JSON.stringify(key)}, which JSON cannot carry`,
        )
      }
    }
    for (let i = 0; i < length; i++) {
      if (!Object.hasOwn(value, i)) {
        this.#path.push(i)
        throw invalid(this.#field(), 'is a hole in a sparse array')
      }
    }
    throw invalid(this.#field(), 'changed its length while it was read')
  }

  #record(value: Record<string, unknown>, keys: string[]): void {
    this.#out += '{'
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!
      this.#path.push(key)
      if (!key.isWellFormed()) throw invalid(this.#field(), 'is a key with a lone UTF-16 surrogate')
      this.#out += `${i > 0 ? ',' : ''}${JSON.stringify(key)}:`
      this.#value(this.#read(value, key))
      this.#path.pop()
    }
    this.#out += '}'
  }

  /** One read of `key`, the only one: a getter or Proxy trap that throws makes INVALID_PAYLOAD. */
  #read(value: object, key: string | number): unknown {
    try {
      return (value as Record<string | number, unknown>)[key]
    } catch (error) {
      throw this.#unreadable(error) // the caller already put `key` on the path
    }
  }

  #unreadable(error: unknown): QueueError {
    if (QueueError.isInstance(error)) return error
    return invalid(this.#field(), 'could not be read (a getter or Proxy threw)', { cause: error })
  }
}

function constructorName(value: object): string {
  try {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name
    return typeof name === 'string' && name ? name : 'object'
  } catch {
    return 'object'
  }
}
