import { ServiceBusClient } from '@azure/service-bus'
import { describe, expect, it } from 'vitest'
import { checkForwarding } from '../src/config.js'
import { ConfigError, parseConfig, parseDuration, startEmulator } from '../src/index.js'

// The shape of Microsoft's emulator's Config.json, comments included.
const MICROSOFT_CONFIG = `{
  "UserConfig": {
    "Namespaces": [
      {
        "Name": "sbemulatorns",
        "Queues": [
          {
            "Name": "queue.1",
            "Properties": {
              "DeadLetteringOnMessageExpiration": false,
              "DefaultMessageTimeToLive": "PT1H",
              "DuplicateDetectionHistoryTimeWindow": "PT20S",
              "ForwardDeadLetteredMessagesTo": "",
              "ForwardTo": "",
              "LockDuration": "PT1M",
              "MaxDeliveryCount": 3,
              "RequiresDuplicateDetection": false,
              "RequiresSession": false
            }
          }
        ],
        // Topics fan out to their subscriptions.
        "Topics": [
          {
            "Name": "topic.1",
            "Properties": { "DefaultMessageTimeToLive": "PT1H", "DuplicateDetectionHistoryTimeWindow": "PT20S", "RequiresDuplicateDetection": false },
            "Subscriptions": [
              {
                "Name": "subscription.1",
                "Properties": { "DeadLetteringOnMessageExpiration": false, "DefaultMessageTimeToLive": "PT1H", "LockDuration": "PT1M", "MaxDeliveryCount": 3, "ForwardDeadLetteredMessagesTo": "", "ForwardTo": "", "RequiresSession": false },
                "Rules": [
                  { "Name": "app-prop-filter-1", "Properties": { "FilterType": "Correlation", "CorrelationFilter": { "ContentType": "application/text", "Properties": { "prop3": "value3" } } } }
                ]
              },
              { "Name": "subscription.2", "Properties": { "LockDuration": "PT30S", "MaxDeliveryCount": 5 } }
            ]
          }
        ]
      }
    ],
    "Logging": { "Type": "File" }
  }
}`

describe('Config.json', () => {
  it("reads Microsoft's emulator configuration, comments included", () => {
    const topology = parseConfig(MICROSOFT_CONFIG)
    expect(topology.namespace).toBe('sbemulatorns')
    expect(topology.queues?.[0]).toMatchObject({
      name: 'queue.1',
      properties: {
        lockDurationMs: 60_000,
        maxDeliveryCount: 3,
        defaultMessageTimeToLiveMs: 3_600_000,
        forwardTo: undefined,
      },
    })
    const [first, second] = topology.topics?.[0]?.subscriptions ?? []
    expect(first?.rules).toEqual([
      {
        type: 'correlation',
        name: 'app-prop-filter-1',
        system: { contentType: 'application/text' },
        properties: { prop3: 'value3' },
      },
    ])
    expect(second?.properties).toMatchObject({ lockDurationMs: 30_000, maxDeliveryCount: 5 })
  })

  it('starts from that file and routes by its rules', async () => {
    const emulator = await startEmulator({ config: MICROSOFT_CONFIG })
    const client = new ServiceBusClient(emulator.connectionString)
    try {
      await client
        .createSender('topic.1')
        .sendMessages([
          { body: 'match', contentType: 'application/text', applicationProperties: { prop3: 'value3' } },
          { body: 'other' },
        ])
      expect(emulator.broker.receivable('topic.1/Subscriptions/subscription.1').messages.size).toBe(1)
      expect(emulator.broker.receivable('topic.1/Subscriptions/subscription.2').messages.size).toBe(2)
      await client.createSender('queue.1').sendMessages({ body: 'q' })
      const [m] = await client.createReceiver('queue.1').receiveMessages(1, { maxWaitTimeInMs: 2_000 })
      expect(m!.lockedUntilUtc!.getTime() - Date.now()).toBeGreaterThan(50_000)
    } finally {
      await client.close()
      await emulator.close()
    }
  })

  it('refuses what it cannot honour, naming the setting', () => {
    const session = MICROSOFT_CONFIG.replace(
      '"RequiresSession": false\n            }',
      '"RequiresSession": "yes"\n            }',
    )
    expect(() => parseConfig(session)).toThrow(
      /Queues\[0\]\.Properties\.RequiresSession: expected true or false/,
    )
    const sql = MICROSOFT_CONFIG.replace(
      '"FilterType": "Correlation", "CorrelationFilter": { "ContentType": "application/text", "Properties": { "prop3": "value3" } }',
      '"FilterType": "Sql", "SqlFilter": { "SqlExpression": "prop3 = " }',
    )
    expect(() => parseConfig(sql)).toThrow(ConfigError)
    expect(() => parseConfig(sql)).toThrow(/Rules\[0\]\.Properties\.SqlFilter\.SqlExpression: expected/)
    expect(() => parseConfig(MICROSOFT_CONFIG.replace('"PT1M"', '"PT1S"'))).toThrow(
      /LockDuration must be between PT5S and PT5M/,
    )
    expect(() => parseConfig('{ "UserConfig": { "Namespaces": [ }')).toThrow(ConfigError)
  })

  it('reads ISO 8601 durations and .NET TimeSpans', () => {
    expect(parseDuration('PT30S', 'x')).toBe(30_000)
    expect(parseDuration('P1DT1H', 'x')).toBe(90_000_000)
    expect(parseDuration('PT0.5S', 'x')).toBe(500)
    expect(parseDuration('00:01:00', 'x')).toBe(60_000)
    expect(() => parseDuration('1 minute', 'x')).toThrow(/ISO 8601/)
  })
})

describe('ForwardTo validation', () => {
  const config = (queues: object[], topics: object[] = []) => ({
    UserConfig: { Namespaces: [{ Name: 'sbemulatorns', Queues: queues, Topics: topics }] },
  })
  it('names the entity whose ForwardTo target does not exist', () => {
    expect(() => parseConfig(config([{ Name: 'a', Properties: { ForwardTo: 'nowhere' } }]))).toThrow(
      /Queues\[0\]\.Properties\.ForwardTo: ForwardTo names 'nowhere'/,
    )
    expect(() =>
      parseConfig(config([{ Name: 'a', Properties: { ForwardDeadLetteredMessagesTo: 'gone' } }])),
    ).toThrow(/Queues\[0\]\.Properties\.ForwardDeadLetteredMessagesTo: .*'gone'/)
  })

  it('names the cycle and where it starts, through queues and subscriptions', () => {
    const cycle = config(
      [
        { Name: 'a', Properties: { ForwardTo: 'b' } },
        { Name: 'b', Properties: { ForwardTo: 't' } },
        { Name: 'ok', Properties: { ForwardTo: 'a' } },
      ],
      [{ Name: 't', Subscriptions: [{ Name: 's', Properties: { ForwardTo: 'A' } }] }],
    )
    expect(() => parseConfig(cycle)).toThrow(
      /Queues\[0\]\.Properties\.ForwardTo: ForwardTo makes a cycle: a → b → t → a/,
    )
    // The same rules for a programmatic topology, named by its own paths.
    expect(() =>
      checkForwarding({ queues: [{ name: 'x', properties: { forwardTo: 'x' } }] }, 'topology'),
    ).toThrow(/queues\[0\]\.properties\.forwardTo: ForwardTo makes a cycle: x → x/)
    expect(() =>
      parseConfig(config([{ Name: 'a', Properties: { ForwardTo: 'b' } }, { Name: 'b' }])),
    ).not.toThrow()
  })
})
