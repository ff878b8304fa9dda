import { types } from './amqp.js'
import type { Broker } from './broker.js'
import type { CorrelationField, RuleFilter } from './config.js'
import { BrokerError, CONDITIONS } from './errors.js'
import { compileRule, type Rule } from './rules.js'

// The rule manager over a subscription's `$management` node (`createRule`, `deleteRule`,
// `listRules` in the SDK): requests carry maps; replies carry rule descriptions as the described
// lists Service Bus uses (descriptor codes from its AMQP request/response documentation).

const RULE_DESCRIPTION = 0x0000013700000004
const EMPTY_ACTION = 0x0000013700000005
const SQL_ACTION = 0x0000013700000006
const SQL_FILTER = 0x0000001370000006
const TRUE_FILTER = 0x0000001370000007
const FALSE_FILTER = 0x0000001370000008
const CORRELATION_FILTER = 0x0000001370000009
/** The SQL compatibility level Service Bus reports. */
const COMPATIBILITY_LEVEL = 20

/** The correlation filter's fields in the request map and in the described list, in list order. */
const CORRELATION_KEYS: Array<[string, CorrelationField]> = [
  ['correlation-id', 'correlationId'],
  ['message-id', 'messageId'],
  ['to', 'to'],
  ['reply-to', 'replyTo'],
  ['label', 'subject'],
  ['session-id', 'sessionId'],
  ['reply-to-session-id', 'replyToSessionId'],
  ['content-type', 'contentType'],
]

function rulesOf(broker: Broker, entityPath: string): Rule[] {
  const rules = broker.receivable(entityPath).rules
  if (!rules) {
    throw new BrokerError(
      CONDITIONS.notAllowed,
      `'${entityPath}' is not a subscription: only subscriptions have rules.`,
      400,
    )
  }
  return rules
}

export function addRule(broker: Broker, entityPath: string, body: Record<string, unknown>): void {
  const rules = rulesOf(broker, entityPath)
  const name = body['rule-name']
  if (typeof name !== 'string' || name === '')
    throw new BrokerError(CONDITIONS.invalidField, 'rule-name must be a non-empty string.', 400)
  if (rules.some((r) => r.name.toLowerCase() === name.toLowerCase()))
    throw new BrokerError(
      CONDITIONS.entityExists,
      `The rule '${name}' already exists on '${entityPath}'.`,
      409,
    )
  const description = (body['rule-description'] ?? {}) as Record<string, Record<string, unknown> | undefined>
  const sql = description['sql-filter']
  const correlation = description['correlation-filter']
  const action = description['sql-rule-action']?.expression
  let filter: RuleFilter
  if (sql) filter = { type: 'sql', expression: String(sql.expression ?? '') }
  else if (correlation) {
    const system: Partial<Record<CorrelationField, string>> = {}
    for (const [key, field] of CORRELATION_KEYS) {
      const value = correlation[key]
      if (value !== undefined && value !== null) system[field] = String(value)
    }
    const properties = (correlation.properties ?? {}) as Record<string, string | number | boolean>
    filter = { type: 'correlation', system, properties }
  } else
    throw new BrokerError(
      CONDITIONS.invalidField,
      'rule-description needs a sql-filter or a correlation-filter.',
      400,
    )
  rules.push(compileRule({ ...filter, name, ...(typeof action === 'string' ? { action } : {}) }, name))
}

export function removeRule(broker: Broker, entityPath: string, body: Record<string, unknown>): void {
  const rules = rulesOf(broker, entityPath)
  const name = String(body['rule-name'] ?? '')
  const index = rules.findIndex((r) => r.name.toLowerCase() === name.toLowerCase())
  if (index < 0)
    throw new BrokerError(
      CONDITIONS.notFound,
      `The messaging entity '${entityPath}/Rules/${name}' could not be found.`,
      404,
    )
  rules.splice(index, 1)
}

/** `enumerate-rules`: `{ rules: [{ 'rule-description': … }] }`, from `skip`, at most `top`. */
export function listRules(broker: Broker, entityPath: string, body: Record<string, unknown>): unknown[] {
  const skip = Number(body.skip ?? 0)
  const top = Number(body.top ?? 2 ** 31 - 1)
  return rulesOf(broker, entityPath)
    .slice(skip, skip + top)
    .map((rule) => ({ 'rule-description': describe(rule) }))
}

function described(code: number, fields: unknown[]): unknown {
  return types.described(types.wrap_ulong(code), types.wrap_list(fields))
}

function describe(rule: Rule): unknown {
  const d = rule.definition
  const filter =
    d.type === 'true'
      ? described(TRUE_FILTER, ['1=1', types.wrap_int(COMPATIBILITY_LEVEL)])
      : d.type === 'false'
        ? described(FALSE_FILTER, ['1=0', types.wrap_int(COMPATIBILITY_LEVEL)])
        : d.type === 'sql'
          ? described(SQL_FILTER, [d.expression, types.wrap_int(COMPATIBILITY_LEVEL)])
          : described(CORRELATION_FILTER, [
              ...CORRELATION_KEYS.map(([, field]) => d.system[field] ?? null),
              types.wrap_map(d.properties),
            ])
  const action =
    d.action === undefined
      ? described(EMPTY_ACTION, [])
      : described(SQL_ACTION, [d.action, types.wrap_int(COMPATIBILITY_LEVEL)])
  return described(RULE_DESCRIPTION, [filter, action, rule.name])
}
