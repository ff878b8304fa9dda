import { type PROPERTY_FIELDS, plain, type StoredBody, types, withPropertyFields } from './amqp.js'
import type { CorrelationField, RuleFilter } from './config.js'
import { BrokerError, CONDITIONS } from './errors.js'
import {
  evaluate,
  type Predicate,
  parseAction,
  parseFilter,
  type SqlContext,
  SqlError,
  type Statement,
  test,
  type Value,
} from './sql.js'

// Subscription rules: which messages a subscription gets (true/false, correlation and SQL
// filters), what each matching rule's SQL action changes, and the rule descriptions the rule
// manager reads and writes over `$management`.

/** A rule as a subscription runs it. */
export interface Rule {
  readonly name: string
  readonly definition: RuleFilter
  readonly predicate: Predicate | undefined
  readonly action: Statement[] | undefined
}

export const DEFAULT_RULE = '$Default'

/** The system properties filters read, by their SQL names (case-insensitive), as properties-section fields. */
const SYS_FIELDS: Record<string, (typeof PROPERTY_FIELDS)[number]> = {
  messageid: 'message_id',
  correlationid: 'correlation_id',
  to: 'to',
  replyto: 'reply_to',
  label: 'subject',
  subject: 'subject',
  sessionid: 'group_id',
  replytosessionid: 'reply_to_group_id',
  contenttype: 'content_type',
}

const CORRELATION_FIELD: Record<CorrelationField, (typeof PROPERTY_FIELDS)[number]> = {
  contentType: 'content_type',
  correlationId: 'correlation_id',
  subject: 'subject',
  messageId: 'message_id',
  replyTo: 'reply_to',
  replyToSessionId: 'reply_to_group_id',
  sessionId: 'group_id',
  to: 'to',
}

/** Compiles a rule; an unparsable SQL filter or action is refused naming the rule. */
export function compileRule(definition: RuleFilter, fallbackName: string): Rule {
  const name = definition.name ?? fallbackName
  try {
    return {
      name,
      definition,
      predicate: definition.type === 'sql' ? parseFilter(definition.expression) : undefined,
      action: definition.action === undefined ? undefined : parseAction(definition.action),
    }
  } catch (error) {
    if (error instanceof SqlError)
      throw new BrokerError(CONDITIONS.invalidField, `Rule '${name}': ${error.message}.`, 400)
    throw error
  }
}

/** A subscription's rules: as configured, or `$Default` (a true filter) when none are. */
export function compileRules(definitions: RuleFilter[] | undefined): Rule[] {
  if (!definitions || definitions.length === 0) return [compileRule({ type: 'true' }, DEFAULT_RULE)]
  return definitions.map((d, i) => compileRule(d, i === 0 ? DEFAULT_RULE : `rule-${i}`))
}

function context(body: StoredBody): SqlContext {
  const props = body.applicationProperties ?? {}
  return {
    sys: (name) => {
      const field = SYS_FIELDS[name.toLowerCase()]
      return field === undefined ? undefined : sqlValue(body.decoded[field as keyof typeof body.decoded])
    },
    // Own properties only: a message without `toString` must not find Object.prototype's.
    user: (name) => (Object.hasOwn(props, name) ? sqlValue(plain(props[name])) : undefined),
    hasUser: (name) => Object.hasOwn(props, name),
  }
}

/** A property as SQL compares it: numbers, strings, booleans; timestamps as their milliseconds. */
function sqlValue(value: unknown): Value {
  if (value === undefined || value === null) return value
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'bigint') return Number(value)
  return String(value)
}

function matchesRule(rule: Rule, body: StoredBody): boolean {
  const d = rule.definition
  if (d.type === 'true') return true
  if (d.type === 'false') return false
  if (rule.predicate) return test(rule.predicate, context(body)) === true
  if (d.type !== 'correlation') return false
  for (const [field, want] of Object.entries(d.system)) {
    const got = body.decoded[CORRELATION_FIELD[field as CorrelationField] as keyof typeof body.decoded]
    if (got === undefined || got === null || String(got) !== want) return false
  }
  for (const [name, want] of Object.entries(d.properties)) {
    const props = body.applicationProperties ?? {}
    if (!Object.hasOwn(props, name) || plain(props[name]) !== want) return false
  }
  return true
}

/**
 * The message as this subscription receives it: undefined when no rule matches, else changed by
 * the action of every matching rule, in order.
 */
export function applyRules(rules: Rule[], body: StoredBody): StoredBody | undefined {
  let out: StoredBody | undefined
  for (const rule of rules) {
    if (!matchesRule(rule, body)) continue
    out = rule.action ? act(rule.action, out ?? body) : (out ?? body)
  }
  return out
}

function act(statements: Statement[], body: StoredBody): StoredBody {
  let out = body
  for (const s of statements) {
    const value = s.kind === 'set' ? evaluate(s.value, context(out)) : undefined
    if (s.property.scope === 'sys') {
      const field = SYS_FIELDS[s.property.name.toLowerCase()]
      if (!field) continue
      out = withPropertyFields(out, { [field]: value === undefined || value === null ? null : String(value) })
      continue
    }
    const properties = { ...out.applicationProperties }
    if (s.kind === 'remove' || value === undefined) delete properties[s.property.name]
    else properties[s.property.name] = typedValue(value)
    out = { ...out, applicationProperties: properties }
  }
  return out
}

/** A SQL value as Service Bus stores it: integers as long, decimals as double. */
function typedValue(value: Exclude<Value, undefined>): unknown {
  if (typeof value === 'number')
    return Number.isInteger(value) ? types.wrap_long(value) : types.wrap_double(value)
  return value
}
