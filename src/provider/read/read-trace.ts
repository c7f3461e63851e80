/**
 * The spans of one read: `seamless.pipeline` with a child span per step (`seamless.cache`,
 * `seamless.storage`, `seamless.backfill`, `seamless.conformance`, `seamless.sla`). Untraced, a
 * step is the function call and one branch — no span objects, no attribute maps.
 */
import { childSpan, endSpan } from '../../observability/index.js';
import type { Span, SpanAttributes, TraceContext, Tracing } from '../../observability/index.js';

export interface ReadTrace {
  /** Runs one step of the read, inside its child span when traced. */
  step<T>(name: string, fn: (span: Span | undefined) => Promise<T> | T, attributes?: SpanAttributes): Promise<T>;
  /**
   * Records a child span of `seamless.pipeline` that has already happened (started and ended now,
   * with `error` as its status): what a read that ends early still reports, e.g. `seamless.sla`.
   */
  record(name: string, attributes: SpanAttributes, error?: unknown): void;
  /** Attributes on `seamless.pipeline`. */
  set(attributes: SpanAttributes): void;
  /** The context of `seamless.pipeline` (to continue the trace elsewhere). */
  readonly context: TraceContext | undefined;
  /** The `seamless.backfill` step's traceparent while it runs, else the pipeline's; undefined untraced. */
  readonly traceparent: string | undefined;
  /** The trace id of `seamless.pipeline` (32 hex digits, for log lines); undefined untraced. */
  readonly traceId: string | undefined;
  end(error?: unknown): void;
}

const UNTRACED: ReadTrace = Object.freeze({
  step: async <T>(_name: string, fn: (span: Span | undefined) => Promise<T> | T) => fn(undefined),
  record: () => undefined,
  set: () => undefined,
  context: undefined,
  traceparent: undefined,
  traceId: undefined,
  end: () => undefined,
});

export function startReadTrace(tracing: Tracing | undefined, parent: TraceContext | undefined, attributes: SpanAttributes): ReadTrace {
  if (!tracing?.enabled) return UNTRACED;
  const root = childSpan(tracing.tracer, 'seamless.pipeline', parent ?? tracing.extract({}), attributes);
  let current = tracing.inject(root.context);
  return {
    context: root.context,
    get traceparent() { return current; },
    traceId: root.span.spanContext().traceId,
    async step(name, fn, attrs) {
      const { span, context } = childSpan(tracing.tracer, name, root.context, attrs);
      current = tracing.inject(context);
      try {
        const out = await fn(span);
        endSpan(span);
        return out;
      } catch (error) {
        endSpan(span, error);
        throw error;
      } finally {
        current = tracing.inject(root.context);
      }
    },
    record(name, attrs, error) {
      endSpan(childSpan(tracing.tracer, name, root.context, attrs).span, error);
    },
    set: (attrs) => { root.span.setAttributes(attrs); },
    end: (error) => endSpan(root.span, error),
  };
}
