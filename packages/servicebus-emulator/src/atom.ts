import { XMLParser } from 'fast-xml-parser'
import { type CorrelationField, type EntityProperties, parseDuration, type RuleFilter } from './config.js'
import type { Entity } from './entity.js'
import type { Rule } from './rules.js'

// The ATOM XML of Service Bus's management REST API: the entries ServiceBusAdministrationClient
// reads (with every field its deserializers require) and the descriptions it sends.

const ATOM = 'http://www.w3.org/2005/Atom'
const SB = 'http://schemas.microsoft.com/netservices/2010/10/servicebus/connect'
const SB_COUNTS = 'http://schemas.microsoft.com/netservices/2011/06/servicebus'
/** .NET's TimeSpan.MaxValue, what Service Bus reports for "never". */
const NEVER = 'P10675199DT2H48M5.4775807S'

const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false })

/** The settings a Queue-, Topic- or SubscriptionDescription carries, as the broker keeps them. */
export function readDescription(body: string): { root: string; properties: Partial<EntityProperties> } {
  const parsed = parser.parse(body) as { entry?: { content?: Record<string, Record<string, string>> } }
  const content = parsed.entry?.content ?? {}
  const root = Object.keys(content).find((k) => k.endsWith('Description')) ?? 'QueueDescription'
  const d = content[root] ?? {}
  const duration = (key: string) =>
    d[key] === undefined || d[key] === NEVER ? undefined : parseDuration(String(d[key]), key)
  const flag = (key: string) => (d[key] === undefined ? undefined : String(d[key]) === 'true')
  const target = (key: string) => (d[key] ? String(d[key]).replace(/^[a-z]+:\/\/[^/]+\//i, '') : undefined)
  const properties: Partial<EntityProperties> = {
    lockDurationMs: duration('LockDuration'),
    maxDeliveryCount: d.MaxDeliveryCount === undefined ? undefined : Number(d.MaxDeliveryCount),
    defaultMessageTimeToLiveMs: duration('DefaultMessageTimeToLive'),
    deadLetteringOnMessageExpiration: flag('DeadLetteringOnMessageExpiration'),
    requiresDuplicateDetection: flag('RequiresDuplicateDetection'),
    duplicateDetectionHistoryTimeWindowMs: duration('DuplicateDetectionHistoryTimeWindow'),
    requiresSession: flag('RequiresSession'),
    forwardTo: target('ForwardTo'),
    forwardDeadLetteredMessagesTo: target('ForwardDeadLetteredMessagesTo'),
    maxSizeInMegabytes: d.MaxSizeInMegabytes === undefined ? undefined : Number(d.MaxSizeInMegabytes),
  }
  return {
    root,
    properties: Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined)),
  }
}

function iso(ms: number): string {
  const s = ms / 1000
  const days = Math.floor(s / 86_400)
  const rest = s - days * 86_400
  const h = Math.floor(rest / 3600)
  const m = Math.floor((rest - h * 3600) / 60)
  const sec = Math.round((rest - h * 3600 - m * 60) * 1000) / 1000
  return `P${days ? `${days}D` : ''}T${h ? `${h}H` : ''}${m ? `${m}M` : ''}${sec || (!h && !m) ? `${sec}S` : ''}`
}

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  )

type Fields = Array<[string, string | number | boolean | undefined]>

function countDetails(active: number, dead: number, scheduled: number): string {
  return (
    `<CountDetails xmlns:d2p1="${SB_COUNTS}">` +
    `<d2p1:ActiveMessageCount>${active}</d2p1:ActiveMessageCount>` +
    `<d2p1:DeadLetterMessageCount>${dead}</d2p1:DeadLetterMessageCount>` +
    `<d2p1:ScheduledMessageCount>${scheduled}</d2p1:ScheduledMessageCount>` +
    '<d2p1:TransferMessageCount>0</d2p1:TransferMessageCount>' +
    '<d2p1:TransferDeadLetterMessageCount>0</d2p1:TransferDeadLetterMessageCount></CountDetails>'
  )
}

/** An ATOM entry: the SDK takes the entity's name from its id, and its settings from `root`. */
function entry(base: string, path: string, root: string, fields: Fields, born: Date, counts: string): string {
  const at = born.toISOString()
  const xml = fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('')
  return (
    `<entry xmlns="${ATOM}"><id>${escapeXml(`${base}/${path}?api-version=2021-05`)}</id>` +
    `<title type="text">${escapeXml(path.split('/').at(-1)!)}</title><published>${at}</published><updated>${at}</updated>` +
    `<content type="application/xml"><${root} xmlns="${SB}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
    `${xml}<CreatedAt>${at}</CreatedAt><UpdatedAt>${at}</UpdatedAt><AccessedAt>${new Date().toISOString()}</AccessedAt>` +
    `<AuthorizationRules></AuthorizationRules>${counts}</${root}></content></entry>`
  )
}

const common = (sizeInBytes: number): Fields => [
  ['Status', 'Active'],
  ['EntityAvailabilityStatus', 'Available'],
  ['AutoDeleteOnIdle', NEVER],
  ['EnableBatchedOperations', true],
  ['EnablePartitioning', false],
  ['EnableExpress', false],
  ['SizeInBytes', sizeInBytes],
  ['IsAnonymousAccessible', false],
]

function entityFields(p: EntityProperties): Fields {
  return [
    ['LockDuration', iso(p.lockDurationMs)],
    ['MaxDeliveryCount', p.maxDeliveryCount],
    ['RequiresSession', p.requiresSession],
    ['DefaultMessageTimeToLive', iso(p.defaultMessageTimeToLiveMs)],
    ['DeadLetteringOnMessageExpiration', p.deadLetteringOnMessageExpiration],
    ['ForwardTo', p.forwardTo],
    ['ForwardDeadLetteredMessagesTo', p.forwardDeadLetteredMessagesTo],
  ]
}

export function queueEntry(base: string, name: string, entity: Entity, born: Date): string {
  const p = entity.properties
  const c = entity.counts()
  const dead = entity.deadLetterQueue?.messages.size ?? 0
  const fields: Fields = [
    ...entityFields(p),
    ['MaxSizeInMegabytes', p.maxSizeInMegabytes],
    ['RequiresDuplicateDetection', p.requiresDuplicateDetection],
    ['DuplicateDetectionHistoryTimeWindow', iso(p.duplicateDetectionHistoryTimeWindowMs)],
    ['MessageCount', entity.messages.size + dead],
    ['SupportOrdering', true],
    ...common(sizeOf([entity, ...(entity.deadLetterQueue ? [entity.deadLetterQueue] : [])])),
  ]
  return entry(
    base,
    name,
    'QueueDescription',
    fields,
    born,
    countDetails(c.active + c.locked + c.deferred, dead, c.scheduled),
  )
}

/**
 * A topic's entry: its own settings, and its counts as Service Bus reports a topic's. A message sent
 * to the topic is one message however many subscriptions hold a copy: scheduled messages and size
 * count each sequence number once.
 */
export function topicEntry(
  base: string,
  name: string,
  p: EntityProperties,
  subscriptions: Map<string, Entity>,
  born: Date,
): string {
  const subs = [...subscriptions.values()]
  const scheduled = new Set<number>()
  for (const sub of subs)
    for (const m of sub.messages.values()) if (m.state === 'scheduled') scheduled.add(m.seq)
  const fields: Fields = [
    ['MaxSizeInMegabytes', p.maxSizeInMegabytes],
    ['DefaultMessageTimeToLive', iso(p.defaultMessageTimeToLiveMs)],
    ['RequiresDuplicateDetection', p.requiresDuplicateDetection],
    ['DuplicateDetectionHistoryTimeWindow', iso(p.duplicateDetectionHistoryTimeWindowMs)],
    ['SupportOrdering', true],
    ['SubscriptionCount', subscriptions.size],
    ...common(sizeOf(subs)),
  ]
  return entry(base, name, 'TopicDescription', fields, born, countDetails(0, 0, scheduled.size))
}

/** Bytes the messages held by `entities` take, as sent; a message copied to several counts once. */
function sizeOf(entities: Entity[]): number {
  const seen = new Map<string, number>()
  for (const entity of entities)
    for (const m of entity.messages.values()) seen.set(`${m.deadLetterSource ?? ''}#${m.seq}`, m.body.size)
  let total = 0
  for (const size of seen.values()) total += size
  return total
}

export function subscriptionEntry(base: string, entity: Entity, born: Date): string {
  const c = entity.counts()
  const dead = entity.deadLetterQueue?.messages.size ?? 0
  const fields: Fields = [
    ...entityFields(entity.properties),
    ['DeadLetteringOnFilterEvaluationExceptions', true],
    ['MessageCount', entity.messages.size + dead],
    ...common(0),
  ]
  return entry(
    base,
    entity.path,
    'SubscriptionDescription',
    fields,
    born,
    countDetails(c.active + c.locked + c.deferred, dead, c.scheduled),
  )
}

export function feed(id: string, entries: string[]): string {
  return `<feed xmlns="${ATOM}"><title type="text">Publicly Listed Services</title><id>${escapeXml(id)}</id><updated>${new Date().toISOString()}</updated>${entries.join('')}</feed>`
}

export function errorXml(code: number, detail: string): string {
  return `<Error><Code>${code}</Code><Detail>${escapeXml(detail)}</Detail></Error>`
}

const ruleParser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, parseTagValue: false })
const XSD = 'http://www.w3.org/2001/XMLSchema'

type Node = Record<string, unknown>
const text = (node: unknown): string | undefined =>
  node === undefined || node === null || node === ''
    ? undefined
    : typeof node === 'object'
      ? String((node as Node)['#text'] ?? '')
      : String(node)

/** A RuleDescription: a SQL or correlation filter and an optional SQL action. */
export function readRule(body: string): RuleFilter {
  const parsed = ruleParser.parse(body) as { entry?: { content?: { RuleDescription?: Node } } }
  const d = parsed.entry?.content?.RuleDescription ?? {}
  const filter = (d.Filter ?? {}) as Node
  const action = text((d.Action as Node | undefined)?.SqlExpression)
  const named = action === undefined ? {} : { action }
  const sql = text(filter.SqlExpression)
  if (sql !== undefined) return { type: 'sql', expression: sql, ...named }
  const system: Partial<Record<CorrelationField, string>> = {}
  for (const [tag, field] of CORRELATION_TAGS) {
    const value = text(filter[tag])
    if (value !== undefined) system[field] = value
  }
  const properties: Record<string, string | number | boolean> = {}
  const pairs = (filter.Properties as Node | undefined)?.KeyValueOfstringanyType
  for (const pair of (Array.isArray(pairs) ? pairs : pairs ? [pairs] : []) as Node[]) {
    const value = pair.Value as Node
    const raw = text(value) ?? ''
    const type = String(value['@_type'] ?? '')
      .split(':')
      .at(-1)
    properties[String(text(pair.Key))] =
      type === 'boolean' ? raw === 'true' : type === 'int' || type === 'double' ? Number(raw) : raw
  }
  return { type: 'correlation', system, properties, ...named }
}

const CORRELATION_TAGS: Array<[string, CorrelationField]> = [
  ['CorrelationId', 'correlationId'],
  ['MessageId', 'messageId'],
  ['To', 'to'],
  ['ReplyTo', 'replyTo'],
  ['Label', 'subject'],
  ['SessionId', 'sessionId'],
  ['ReplyToSessionId', 'replyToSessionId'],
  ['ContentType', 'contentType'],
]

export function ruleEntry(base: string, prefix: string, rule: Rule): string {
  const d = rule.definition
  const tag = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`
  let filter: string
  if (d.type === 'correlation') {
    const props = Object.entries(d.properties)
      .map(([k, v]) => {
        const type = typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'double') : typeof v
        return `<KeyValueOfstringanyType><Key>${escapeXml(k)}</Key><Value i:type="d6p1:${type}" xmlns:d6p1="${XSD}">${escapeXml(String(v))}</Value></KeyValueOfstringanyType>`
      })
      .join('')
    filter = `<Filter i:type="CorrelationFilter">${CORRELATION_TAGS.map(([t, f]) => tag(t, d.system[f])).join('')}<Properties>${props}</Properties></Filter>`
  } else {
    const [type, expression] =
      d.type === 'sql'
        ? ['SqlFilter', d.expression]
        : d.type === 'true'
          ? ['TrueFilter', '1=1']
          : ['FalseFilter', '1=0']
    filter = `<Filter i:type="${type}">${tag('SqlExpression', expression)}<CompatibilityLevel>20</CompatibilityLevel></Filter>`
  }
  const action =
    d.action === undefined
      ? '<Action i:type="EmptyRuleAction"></Action>'
      : `<Action i:type="SqlRuleAction">${tag('SqlExpression', d.action)}<CompatibilityLevel>20</CompatibilityLevel></Action>`
  const at = new Date(0).toISOString()
  return (
    `<entry xmlns="${ATOM}"><id>${escapeXml(`${base}/${prefix}/${rule.name}?api-version=2021-05`)}</id>` +
    `<title type="text">${escapeXml(rule.name)}</title><published>${at}</published><updated>${at}</updated>` +
    `<content type="application/xml"><RuleDescription xmlns="${SB}" xmlns:i="http://www.w3.org/2001/XMLSchema-instance">` +
    `${filter}${action}<CreatedAt>${at}</CreatedAt>${tag('Name', rule.name)}</RuleDescription></content></entry>`
  )
}
