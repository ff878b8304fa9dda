import { isServiceBusError, ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../src/config.js'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// Subscription rules through the official SDK: SQL filters and actions from Microsoft's
// Config.json format, and the rule manager (createRule / deleteRule / listRules) over $management.
const CONFIG = {
  UserConfig: {
    Namespaces: [
      {
        Name: 'sbemulatorns',
        Topics: [
          {
            Name: 'orders',
            Subscriptions: [
              {
                Name: 'big-blue',
                Rules: [
                  {
                    Name: 'big-blue',
                    Properties: {
                      FilterType: 'Sql',
                      SqlFilter: { SqlExpression: "color = 'blue' AND quantity > 10" },
                      Action: {
                        SqlExpression: "SET priority = 'high'; SET sys.Label = 'routed'; REMOVE secret",
                      },
                    },
                  },
                ],
              },
              {
                Name: 'nothing',
                Rules: [
                  { Name: 'never', Properties: { FilterType: 'Sql', SqlFilter: { SqlExpression: '1=0' } } },
                ],
              },
              { Name: 'managed' },
            ],
          },
        ],
      },
    ],
  },
}

let emulator: ServiceBusEmulator
let client: ServiceBusClient
const errors: unknown[] = []

beforeAll(async () => {
  emulator = await startEmulator({ onError: (e) => errors.push(e), config: parseConfig(CONFIG) })
  client = new ServiceBusClient(emulator.connectionString, {
    retryOptions: { maxRetries: 0, timeoutInMs: 10_000 },
  })
})
afterAll(async () => {
  await client?.close()
  await emulator?.close()
  expect(errors).toEqual([])
})

async function drain(subscription: string): Promise<ServiceBusReceivedMessage[]> {
  const receiver = client.createReceiver('orders', subscription, { receiveMode: 'receiveAndDelete' })
  const out = await receiver.receiveMessages(20, { maxWaitTimeInMs: 500 })
  await receiver.close()
  return out
}

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  return isServiceBusError(error) ? error.code : error
}

describe('rules through @azure/service-bus', () => {
  it('filters with SQL and applies the matching rule action', async () => {
    await client.createSender('orders').sendMessages([
      { body: 'yes', applicationProperties: { color: 'blue', quantity: 12, secret: 's' } },
      { body: 'small', applicationProperties: { color: 'blue', quantity: 2 } },
      { body: 'red', applicationProperties: { color: 'red', quantity: 50 } },
    ])
    const got = await drain('big-blue')
    expect(got.map((m) => m.body)).toEqual(['yes'])
    expect(got[0]!.applicationProperties).toEqual({ color: 'blue', quantity: 12, priority: 'high' })
    expect(got[0]!.subject).toBe('routed')
    expect(await drain('nothing')).toEqual([])
    expect((await drain('managed')).map((m) => m.body)).toEqual(['yes', 'small', 'red'])
  })

  it('manages rules: list, create (SQL and correlation, with an action), delete', async () => {
    const rules = client.createRuleManager('orders', 'managed')
    const initial = []
    for await (const rule of rules.listRules()) initial.push(rule)
    expect(initial.map((r) => [r.name, (r.filter as { sqlExpression?: string }).sqlExpression])).toEqual([
      ['$Default', '1=1'],
    ])
    await rules.deleteRule('$Default')
    await rules.createRule('eu', { sqlExpression: "region = 'eu'" }, { sqlExpression: 'SET tagged = TRUE' })
    await rules.createRule('vip', { correlationId: 'vip', applicationProperties: { tier: 'gold' } })
    expect(await codeOf(rules.createRule('eu', { sqlExpression: '1=1' }))).toBe(
      'MessagingEntityAlreadyExists',
    )
    expect(await codeOf(rules.deleteRule('missing'))).toBe('MessagingEntityNotFound')
    const listed = []
    for await (const rule of rules.listRules()) listed.push(rule)
    expect(listed.map((r) => r.name)).toEqual(['eu', 'vip'])
    expect(listed[0]!.action).toEqual({ sqlExpression: 'SET tagged = TRUE' })
    expect(listed[1]!.filter).toMatchObject({ correlationId: 'vip', applicationProperties: { tier: 'gold' } })

    await client.createSender('orders').sendMessages([
      { body: 'eu', applicationProperties: { region: 'eu' } },
      { body: 'us', applicationProperties: { region: 'us' } },
      { body: 'gold', correlationId: 'vip', applicationProperties: { tier: 'gold' } },
      { body: 'silver', correlationId: 'vip', applicationProperties: { tier: 'silver' } },
    ])
    const got = await drain('managed')
    expect(got.map((m) => m.body)).toEqual(['eu', 'gold'])
    expect(got[0]!.applicationProperties?.tagged).toBe(true)
    await rules.deleteRule('eu')
    await rules.deleteRule('vip')
    // No rules left: the subscription gets nothing, as on Service Bus.
    await client
      .createSender('orders')
      .sendMessages({ body: 'lost', applicationProperties: { region: 'eu' } })
    expect(await drain('managed')).toEqual([])
    const refused = await rules.createRule('bad', { sqlExpression: "region = 'eu" }).catch((e: Error) => e)
    expect(String((refused as Error).message)).toMatch(/Rule 'bad': unterminated string/)
  })

  it('refuses an unparsable SQL filter or action in Config.json, naming where', () => {
    const bad = structuredClone(CONFIG)
    bad.UserConfig.Namespaces[0]!.Topics[0]!.Subscriptions[0]!.Rules![0]!.Properties.SqlFilter.SqlExpression =
      'color = '
    expect(() => parseConfig(bad)).toThrow(ConfigError)
    expect(() => parseConfig(bad)).toThrow(
      /Subscriptions\[0\]\.Rules\[0\]\.Properties\.SqlFilter\.SqlExpression/,
    )
    const badAction = structuredClone(CONFIG)
    const rule = badAction.UserConfig.Namespaces[0]!.Topics[0]!.Subscriptions[0]!.Rules![0]!
    ;(rule.Properties as { Action: { SqlExpression: string } }).Action.SqlExpression = 'DROP x'
    expect(() => parseConfig(badAction)).toThrow(/Rules\[0\]\.Properties\.Action\.SqlExpression/)
  })
})
