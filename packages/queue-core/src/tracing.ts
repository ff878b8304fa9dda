import type * as OpenTelemetry from '@opentelemetry/api'

/**
 * OpenTelemetry is an optional peer: loaded once, on first use, and only if installed. Without an
 * SDK registered, its API is a no-op, so tracing costs nothing until an application turns it on.
 */
let api: Promise<typeof OpenTelemetry | undefined> | undefined
export function loadTracing(): Promise<typeof OpenTelemetry | undefined> {
  api ??= import('@opentelemetry/api').then(
    (module) => module,
    () => undefined,
  )
  return api
}

const TRACER = '@anyqueue/queue-core'

/** Messaging semantic-convention attributes for a span on `destination`. */
function messagingAttributes(system: string, destination: string, operation: 'send' | 'process') {
  return {
    'messaging.system': system,
    'messaging.destination.name': destination,
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
  }
}

/**
 * Runs `send` in a PRODUCER span and gives it the W3C trace context (`traceparent`, `tracestate`)
 * to put in each message's attributes.
 */
export async function traceSend<R>(
  system: string,
  destination: string,
  count: number,
  send: (carrier: Record<string, string>) => Promise<R>,
): Promise<R> {
  const otel = await loadTracing()
  if (!otel) return send({})
  const span = otel.trace.getTracer(TRACER).startSpan(`send ${destination}`, {
    kind: otel.SpanKind.PRODUCER,
    attributes: {
      ...messagingAttributes(system, destination, 'send'),
      'messaging.batch.message_count': count,
    },
  })
  const carrier: Record<string, string> = {}
  otel.propagation.inject(otel.trace.setSpan(otel.context.active(), span), carrier)
  return ending(otel, span, () => send(carrier))
}

/**
 * Runs a handler in a CONSUMER span linked to the producer's context found in the message's
 * attributes (a link, not a parent: the handler's trace is its own, as the conventions advise).
 */
export async function traceProcess<R>(
  system: string,
  destination: string,
  message: { id: string; attributes: Record<string, string>; attempt: number },
  run: () => Promise<R>,
): Promise<R> {
  const otel = await loadTracing()
  if (!otel) return run()
  const producer = otel.trace.getSpanContext(otel.propagation.extract(otel.ROOT_CONTEXT, message.attributes))
  const span = otel.trace.getTracer(TRACER).startSpan(
    `process ${destination}`,
    {
      kind: otel.SpanKind.CONSUMER,
      links: producer && otel.trace.isSpanContextValid(producer) ? [{ context: producer }] : [],
      attributes: {
        ...messagingAttributes(system, destination, 'process'),
        'messaging.message.id': message.id,
        'messaging.message.delivery_attempt': message.attempt,
      },
    },
    otel.context.active(),
  )
  return ending(otel, span, () => otel.context.with(otel.trace.setSpan(otel.context.active(), span), run))
}

/** Runs `work`, marks the span failed if it throws, and ends the span either way. */
async function ending<R>(
  otel: typeof OpenTelemetry,
  span: OpenTelemetry.Span,
  work: () => Promise<R>,
): Promise<R> {
  try {
    return await work()
  } catch (error) {
    span.recordException(error as Error)
    span.setStatus({ code: otel.SpanStatusCode.ERROR })
    throw error
  } finally {
    span.end()
  }
}
