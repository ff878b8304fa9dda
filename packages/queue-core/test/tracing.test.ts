import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { consume, QueueClient } from '../src/index.js'
import { FakeDriver } from './fake-driver.js'

const exporter = new InMemorySpanExporter()
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  )
})
afterAll(() => {
  trace.disable()
  propagation.disable()
  context.disable()
})

test('send injects trace context; the consumer runs the handler in a CONSUMER span linked to it', async () => {
  const driver = new FakeDriver()
  const client = new QueueClient(driver)
  const queue = client.queue<string>('traced')
  await trace.getTracer('test').startActiveSpan('request', async (request) => {
    await queue.send('hello')
    request.end()
  })
  const producer = exporter.getFinishedSpans().find((s) => s.name === 'send traced')!
  expect(producer.kind).toBe(SpanKind.PRODUCER)
  expect(producer.attributes['messaging.destination.name']).toBe('traced')
  expect(driver.stored[0]?.attributes.traceparent).toContain(producer.spanContext().spanId)

  let active: ReturnType<typeof trace.getActiveSpan>
  const consumer = consume(
    queue,
    () => {
      active = trace.getActiveSpan()
      throw new Error('handler failed')
    },
    {
      maxAttempts: 1,
      waitSeconds: 0,
      deadLetterQueue: new QueueClient(new FakeDriver()).queue('traced-dlq'), // the fake has one store for all queues
      onError: () => {},
    },
  )
  // Waits for the span; the deadline only ends a test that fails anyway.
  const end = performance.now() + 30_000
  while (!exporter.getFinishedSpans().some((s) => s.name === 'process traced') && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 10))
  }
  await consumer.stop()
  const processed = exporter.getFinishedSpans().find((s) => s.name === 'process traced')!
  expect(processed.kind).toBe(SpanKind.CONSUMER)
  expect(active?.spanContext().spanId).toBe(processed.spanContext().spanId) // the handler ran inside it
  expect(processed.links[0]?.context.spanId).toBe(producer.spanContext().spanId)
  expect(processed.links[0]?.context.traceId).toBe(producer.spanContext().traceId)
  expect(processed.status.code).toBe(SpanStatusCode.ERROR)
  expect(processed.attributes['messaging.operation.type']).toBe('process')
})

test('user attributes win, and trace context is skipped where a message has no room', async () => {
  const driver = new FakeDriver()
  const queue = new QueueClient(driver).queue('full')
  const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`a${i}`, 'v']))
  await queue.send('x', { attributes: eight })
  await queue.send('y', { attributes: { traceparent: 'mine' } })
  expect(driver.stored[0]?.attributes).toEqual(eight)
  expect(driver.stored[1]?.attributes.traceparent).toBe('mine')
})
