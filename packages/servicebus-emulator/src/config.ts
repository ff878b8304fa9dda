import { type ParseError, parse, printParseErrorCode } from 'jsonc-parser'
import { parseAction, parseFilter, SqlError } from './sql.js'
import { type TopicSetting, topicSettings } from './topic-settings.js'

/** What a queue or subscription does with its messages; the defaults are Microsoft's emulator's. */
export interface EntityProperties {
  /** How long a peek-lock receive hides a message. PT5S to PT5M; default PT1M. */
  lockDurationMs: number
  /** Deliveries before a message is dead-lettered with `MaxDeliveryCountExceeded`. Default 3. */
  maxDeliveryCount: number
  /** A message's time to live when it sets none (or a longer one). Default PT1H. */
  defaultMessageTimeToLiveMs: number
  /** Expired messages go to `$DeadLetterQueue` (reason `TTLExpiredException`) instead of vanishing. */
  deadLetteringOnMessageExpiration: boolean
  /** Drop a send whose `message_id` was seen within `duplicateDetectionHistoryTimeWindowMs`. */
  requiresDuplicateDetection: boolean
  duplicateDetectionHistoryTimeWindowMs: number
  /** Hand every accepted message on to this queue or topic. */
  forwardTo: string | undefined
  /** Hand every dead-lettered message on to this queue or topic. */
  forwardDeadLetteredMessagesTo: string | undefined
  /** Messages carry a session id and are received through session receivers only. */
  requiresSession: boolean
  /** The entity's size quota, as created or updated (kept and reported, not enforced). Default 1024. */
  maxSizeInMegabytes: number
}

/**
 * A subscription rule: messages matching any rule are copied to the subscription, changed by the
 * SQL action (`SET …; REMOVE …`) of each rule they match. A subscription without rules gets
 * `$Default`, a true filter, as on Service Bus.
 */
export type RuleFilter = (
  | { type: 'true' }
  | { type: 'false' }
  /** Service Bus's SQL filter language: `color = 'blue' AND quantity > 10`. */
  | { type: 'sql'; expression: string }
  | {
      type: 'correlation'
      /** System properties that must match exactly (`correlationId`, `subject`, `to`, ...). */
      system: Partial<Record<CorrelationField, string>>
      /** Application properties that must match exactly. */
      properties: Record<string, string | number | boolean>
    }
) & { name?: string; action?: string }

export type CorrelationField =
  | 'contentType'
  | 'correlationId'
  | 'subject'
  | 'messageId'
  | 'replyTo'
  | 'replyToSessionId'
  | 'sessionId'
  | 'to'

export interface QueueDefinition {
  name: string
  properties?: Partial<EntityProperties>
}

export interface SubscriptionDefinition extends QueueDefinition {
  rules?: RuleFilter[]
}

export interface TopicDefinition {
  name: string
  /**
   * The topic's own settings: its default time to live (the cap for its subscriptions') and its
   * duplicate detection.
   */
  properties?: Pick<Partial<EntityProperties>, TopicSetting>
  subscriptions?: SubscriptionDefinition[]
}

/** The emulator's topology in its programmatic form. */
export interface Topology {
  namespace?: string
  queues?: QueueDefinition[]
  topics?: TopicDefinition[]
}

/** A Config.json that cannot be honoured: it names the file's path to the offending value. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(
    /** What is wrong, without the path. */
    readonly reason: string,
    /** Where, as a JSON path: `$.UserConfig.Namespaces[0].Queues[1].Properties.LockDuration`. */
    readonly path: string,
  ) {
    super(`[servicebus-emulator] ${path}: ${reason}`)
  }
}

export const DEFAULT_PROPERTIES: Readonly<EntityProperties> = Object.freeze({
  lockDurationMs: 60_000,
  maxDeliveryCount: 3,
  defaultMessageTimeToLiveMs: 3_600_000,
  deadLetteringOnMessageExpiration: false,
  requiresDuplicateDetection: false,
  duplicateDetectionHistoryTimeWindowMs: 20_000,
  forwardTo: undefined,
  forwardDeadLetteredMessagesTo: undefined,
  requiresSession: false,
  maxSizeInMegabytes: 1024,
})

export const LOCK_DURATION_RANGE_MS = { min: 5_000, max: 300_000 } as const

/** Fills defaults and checks the ranges Service Bus enforces. */
export function resolveProperties(
  partial: Partial<EntityProperties> | undefined,
  path: string,
): EntityProperties {
  const properties = { ...DEFAULT_PROPERTIES, ...stripUndefined(partial ?? {}) }
  const { min, max } = LOCK_DURATION_RANGE_MS
  if (!(properties.lockDurationMs >= min && properties.lockDurationMs <= max)) {
    throw new ConfigError(
      `LockDuration must be between PT5S and PT5M, got ${properties.lockDurationMs} ms`,
      path,
    )
  }
  for (const [key, value] of [
    ['MaxDeliveryCount', properties.maxDeliveryCount],
    ['MaxSizeInMegabytes', properties.maxSizeInMegabytes],
  ] as const) {
    if (!Number.isInteger(value) || value < 1)
      throw new ConfigError(`${key} must be an integer of at least 1, got ${value}`, path)
  }
  if (!(properties.defaultMessageTimeToLiveMs > 0)) {
    throw new ConfigError('DefaultMessageTimeToLive must be positive', path)
  }
  return properties
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * Reads an ISO 8601 duration (`PT1M`, `P1DT2H`, `PT0.5S`) or a .NET TimeSpan (`00:01:00`,
 * `1.00:00:00`) into milliseconds.
 */
export function parseDuration(text: string, path: string): number {
  const iso =
    /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(
      text,
    )
  if (iso && text.toUpperCase() !== 'P' && !text.toUpperCase().endsWith('T')) {
    const [, d = '0', h = '0', m = '0', s = '0'] = iso
    return Math.round(((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1_000)
  }
  const span = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text)
  if (span) {
    const [, d = '0', h = '0', m = '0', s = '0'] = span
    return Math.round(((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Number(s) * 1_000)
  }
  throw new ConfigError(`"${text}" is not an ISO 8601 duration such as PT1M`, path)
}

/**
 * Reads the `Config.json` Microsoft's Service Bus emulator reads (JSON with comments), so one file
 * serves both emulators. Properties this emulator cannot honour are refused by name rather than
 * silently ignored; logging settings are accepted and ignored.
 */
export function parseConfig(source: string | object): Topology {
  const document = typeof source === 'string' ? parseJsonc(source) : source
  const root = record(document, '$')
  const user = record(root.UserConfig, '$.UserConfig')
  const namespaces = list(user.Namespaces, '$.UserConfig.Namespaces')
  if (namespaces.length !== 1) {
    throw new ConfigError(
      `exactly one namespace is supported, found ${namespaces.length}`,
      '$.UserConfig.Namespaces',
    )
  }
  const ns = record(namespaces[0], '$.UserConfig.Namespaces[0]')
  const base = '$.UserConfig.Namespaces[0]'
  const queues = list(ns.Queues ?? [], `${base}.Queues`).map((q, i) => {
    const path = `${base}.Queues[${i}]`
    const entry = record(q, path)
    return {
      name: string(entry.Name, `${path}.Name`),
      properties: readProperties(entry.Properties, `${path}.Properties`),
    }
  })
  const topics = list(ns.Topics ?? [], `${base}.Topics`).map((t, i): TopicDefinition => {
    const path = `${base}.Topics[${i}]`
    const entry = record(t, path)
    const properties = readProperties(entry.Properties, `${path}.Properties`)
    return {
      name: string(entry.Name, `${path}.Name`),
      properties: topicSettings(properties),
      subscriptions: list(entry.Subscriptions ?? [], `${path}.Subscriptions`).map((s, j) => {
        const subPath = `${path}.Subscriptions[${j}]`
        const sub = record(s, subPath)
        return {
          name: string(sub.Name, `${subPath}.Name`),
          properties: readProperties(sub.Properties, `${subPath}.Properties`),
          rules: list(sub.Rules ?? [], `${subPath}.Rules`).map((r, k) =>
            readRule(r, `${subPath}.Rules[${k}]`),
          ),
        }
      }),
    }
  })
  const topology = { namespace: string(ns.Name ?? 'sbemulatorns', `${base}.Name`), queues, topics }
  checkForwarding(topology, 'config')
  return topology
}

/**
 * Refuses what Service Bus refuses: a `ForwardTo` or `ForwardDeadLetteredMessagesTo` naming no
 * queue or topic, and `ForwardTo` chains that come back to where they started. The error names
 * the entity: its Config.json path, or `queues[i]` / `topics[i].subscriptions[j]` in a topology.
 */
export function checkForwarding(topology: Topology, form: 'config' | 'topology'): void {
  const names = new Map<string, string>()
  for (const q of topology.queues ?? []) names.set(q.name.toLowerCase(), q.name)
  for (const t of topology.topics ?? []) names.set(t.name.toLowerCase(), t.name)
  const base = form === 'config' ? '$.UserConfig.Namespaces[0].' : ''
  const [Q, T, S, P, F, D] =
    form === 'config'
      ? ['Queues', 'Topics', 'Subscriptions', 'Properties', 'ForwardTo', 'ForwardDeadLetteredMessagesTo']
      : ['queues', 'topics', 'subscriptions', 'properties', 'forwardTo', 'forwardDeadLetteredMessagesTo']
  /** Forwarding edges: from a queue (or a topic, through a subscription) to a target name. */
  const edges = new Map<string, Array<{ to: string; path: string }>>()
  const check = (from: string, properties: Partial<EntityProperties> | undefined, path: string) => {
    for (const [key, target] of [
      [F, properties?.forwardTo],
      [D, properties?.forwardDeadLetteredMessagesTo],
    ] as const) {
      if (target === undefined) continue
      if (!names.has(target.toLowerCase()))
        throw new ConfigError(
          `${key} names '${target}', which is neither a queue nor a topic`,
          `${path}.${P}.${key}`,
        )
      if (key === F) {
        const list = edges.get(from) ?? []
        list.push({ to: target.toLowerCase(), path: `${path}.${P}.${key}` })
        edges.set(from, list)
      }
    }
  }
  for (const [i, q] of (topology.queues ?? []).entries())
    check(q.name.toLowerCase(), q.properties, `${base}${Q}[${i}]`)
  for (const [i, t] of (topology.topics ?? []).entries())
    for (const [j, sub] of (t.subscriptions ?? []).entries())
      check(t.name.toLowerCase(), sub.properties, `${base}${T}[${i}].${S}[${j}]`)
  const done = new Set<string>()
  const visit = (node: string, trail: string[], paths: string[]): void => {
    const at = trail.indexOf(node)
    if (at >= 0) {
      const cycle = [...trail.slice(at), node].map((n) => names.get(n) ?? n).join(' → ')
      throw new ConfigError(`ForwardTo makes a cycle: ${cycle}`, paths[at]!)
    }
    if (done.has(node)) return
    for (const edge of edges.get(node) ?? []) visit(edge.to, [...trail, node], [...paths, edge.path])
    done.add(node)
  }
  for (const node of edges.keys()) visit(node, [], [])
}

function parseJsonc(text: string): unknown {
  const errors: ParseError[] = []
  const value = parse(text, errors, { allowTrailingComma: true })
  const [first] = errors
  if (first) {
    const line = text.slice(0, first.offset).split('\n').length
    throw new ConfigError(`${printParseErrorCode(first.error)} at line ${line}`, '$')
  }
  return value
}

function readProperties(value: unknown, path: string): Partial<EntityProperties> {
  if (value === undefined) return {}
  const p = record(value, path)
  const duration = (key: string) =>
    p[key] === undefined ? undefined : parseDuration(string(p[key], `${path}.${key}`), `${path}.${key}`)
  const flag = (key: string) => (p[key] === undefined ? undefined : boolean(p[key], `${path}.${key}`))
  const target = (key: string) => {
    const name = p[key] === undefined ? '' : string(p[key], `${path}.${key}`)
    return name === '' ? undefined : name
  }
  const properties: Partial<EntityProperties> = {
    lockDurationMs: duration('LockDuration'),
    maxDeliveryCount:
      p.MaxDeliveryCount === undefined ? undefined : number(p.MaxDeliveryCount, `${path}.MaxDeliveryCount`),
    defaultMessageTimeToLiveMs: duration('DefaultMessageTimeToLive'),
    deadLetteringOnMessageExpiration: flag('DeadLetteringOnMessageExpiration'),
    requiresDuplicateDetection: flag('RequiresDuplicateDetection'),
    duplicateDetectionHistoryTimeWindowMs: duration('DuplicateDetectionHistoryTimeWindow'),
    forwardTo: target('ForwardTo'),
    forwardDeadLetteredMessagesTo: target('ForwardDeadLetteredMessagesTo'),
    requiresSession: flag('RequiresSession'),
    maxSizeInMegabytes:
      p.MaxSizeInMegabytes === undefined
        ? undefined
        : number(p.MaxSizeInMegabytes, `${path}.MaxSizeInMegabytes`),
  }
  resolveProperties(properties, path) // refuse out-of-range values here, naming the file's path
  return properties
}

const CORRELATION_FIELDS: Record<string, CorrelationField> = {
  ContentType: 'contentType',
  CorrelationId: 'correlationId',
  Label: 'subject',
  Subject: 'subject',
  MessageId: 'messageId',
  ReplyTo: 'replyTo',
  ReplyToSessionId: 'replyToSessionId',
  SessionId: 'sessionId',
  To: 'to',
}

function readRule(value: unknown, path: string): RuleFilter {
  const rule = record(value, path)
  const p = record(rule.Properties ?? {}, `${path}.Properties`)
  const type = string(p.FilterType ?? 'Correlation', `${path}.Properties.FilterType`)
  const named = {
    ...(rule.Name === undefined ? {} : { name: string(rule.Name, `${path}.Name`) }),
    ...(p.Action === undefined
      ? {}
      : { action: sqlText(p.Action, `${path}.Properties.Action`, parseAction) }),
  }
  if (/^sql$/i.test(type))
    return {
      type: 'sql',
      expression: sqlText(p.SqlFilter, `${path}.Properties.SqlFilter`, parseFilter),
      ...named,
    }
  const filter = readCorrelation(type, p, path)
  return { ...filter, ...named }
}

/** A `{ "SqlExpression": "…" }` that parses, or a ConfigError naming where it does not. */
function sqlText(value: unknown, path: string, parse: (text: string) => unknown): string {
  const text = string(record(value, path).SqlExpression, `${path}.SqlExpression`)
  try {
    parse(text)
  } catch (error) {
    if (error instanceof SqlError) throw new ConfigError(error.message, `${path}.SqlExpression`)
    throw error
  }
  return text
}

function readCorrelation(type: string, p: Record<string, unknown>, path: string): RuleFilter {
  if (!/^correlation$/i.test(type))
    throw new ConfigError(`unknown FilterType "${type}"`, `${path}.Properties.FilterType`)
  const filter = record(p.CorrelationFilter ?? {}, `${path}.Properties.CorrelationFilter`)
  const system: Partial<Record<CorrelationField, string>> = {}
  const properties: Record<string, string | number | boolean> = {}
  for (const [key, v] of Object.entries(filter)) {
    const where = `${path}.Properties.CorrelationFilter.${key}`
    if (key === 'Properties') {
      for (const [name, want] of Object.entries(record(v, where))) {
        if (!['string', 'number', 'boolean'].includes(typeof want)) {
          throw new ConfigError(
            'a correlation property must be a string, number or boolean',
            `${where}.${name}`,
          )
        }
        properties[name] = want as string | number | boolean
      }
    } else {
      const field = CORRELATION_FIELDS[key]
      if (!field) throw new ConfigError(`unknown correlation filter field "${key}"`, where)
      system[field] = string(v, where)
    }
  }
  return { type: 'correlation', system, properties }
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError('expected an object', path)
  return value as Record<string, unknown>
}
function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError('expected an array', path)
  return value
}
function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ConfigError('expected a string', path)
  return value
}
function number(value: unknown, path: string): number {
  if (typeof value !== 'number') throw new ConfigError('expected a number', path)
  return value
}
function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError('expected true or false', path)
  return value
}
