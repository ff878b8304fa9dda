import type rhea from 'rhea'
import { plain, type StoredBody } from './amqp.js'
import type { RuleFilter } from './config.js'

const SYSTEM_FIELD: Record<string, keyof rhea.Message> = {
  contentType: 'content_type',
  correlationId: 'correlation_id',
  subject: 'subject',
  messageId: 'message_id',
  replyTo: 'reply_to',
  replyToSessionId: 'reply_to_group_id',
  sessionId: 'group_id',
  to: 'to',
}

export function matches(rules: RuleFilter[] | undefined, body: StoredBody): boolean {
  if (!rules || rules.length === 0) return true
  return rules.some((rule) => {
    if (rule.type === 'true') return true
    for (const [field, want] of Object.entries(rule.system)) {
      const got = body.decoded[SYSTEM_FIELD[field]!]
      if (got === undefined || String(got) !== want) return false
    }
    for (const [name, want] of Object.entries(rule.properties)) {
      if (plain(body.applicationProperties?.[name]) !== want) return false
    }
    return true
  })
}
