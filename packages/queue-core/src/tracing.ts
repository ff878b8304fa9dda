import type * as OpenTelemetry from '@opentelemetry/api'

/**
 * OpenTelemetry is an optional peer: loaded once, on first use, and only if installed. Without an
 * SDK registered, its API is a no-op, so tracing costs nothing until an application turns it on.
 */
let api: Promise<typeof OpenTelemetry | undefined> | undefined
let loaded: typeof OpenTelemetry | undefined
/** The provider the API falls back to while no SDK is registered: spans from it record nothing. */
let noopProvider: OpenTelemetry.TracerProvider | undefined
export function loadTracing(): Promise<typeof OpenTelemetry | undefined> {
  api ??= import('@opentelemetry/api').then(
    (module) => {
      loaded = module
      noopProvider = new module.ProxyTracerProvider().getDelegate()
      return module
    },
    () => undefined,
  )
  return api
}

/**
 * The API when a tracer provider is registered, else undefined: then a span would be a no-op that
 * still costs its allocation, its context and a promise per message, so none is made at all.
 */
export function activeTracing(): typeof OpenTelemetry | undefined {
  const otel = loaded
  if (!otel) return undefined
  const provider = otel.trace.getTracerProvider() as OpenTelemetry.TracerProvider & {
    getDelegate?: () => OpenTelemetry.TracerProvider
  }
  if (typeof provider.getDelegate === 'function' && provider.getDelegate() === noopProvider) return undefined
  return otel
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
  await loadTracing()
  const otel = activeTracing()
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
export function traceProcess<R>(
  system: string,
  destination: string,
  message: { id: string; attributes: Record<string, string>; attempt: number },
  run: () => Promise<R>,
): Promise<R> | undefined {
  // The consumer loaded the API before its first receive. Without a provider there is no span to
  // make, and the caller runs the handler bare.
  const otel = activeTracing()
  if (!otel) return undefined
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
