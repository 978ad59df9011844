/**
 * The app's OpenTelemetry SDK: spans of the saga library (made through `@opentelemetry/api`) are
 * exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; otherwise no SDK is registered
 * (nor even loaded: its modules are imported only then) and spans cost next to nothing. No context
 * manager is needed: the library passes every parent explicitly, and stores the saga's trace
 * context with the saga.
 */
import { Logger } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import type { ApiConfig } from '../config/api-config.js';

export interface AppTracing {
  /** Exports what is still batched, then unregisters the SDK. */
  shutdown(): Promise<void>;
}

export async function startTracing(config: Pick<ApiConfig, 'otlpEndpoint' | 'otelServiceName'>): Promise<AppTracing | null> {
  if (!config.otlpEndpoint) return null;
  const [{ OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor, TracerProvider }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
  ]);
  const url = `${config.otlpEndpoint}/v1/traces`;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.otelServiceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
  });
  const log = new Logger('Tracing');
  if (!trace.setGlobalTracerProvider(provider)) {
    log.warn('An OpenTelemetry tracer provider is already registered in this process; OTEL_EXPORTER_OTLP_ENDPOINT is left to it.');
    void provider.shutdown();
    return null;
  }
  log.log(`Exporting traces to ${url} as service "${config.otelServiceName}"`);
  return {
    shutdown: async () => {
      try {
        await provider.shutdown();
      } catch (error) {
        log.warn(`Could not export the last spans: ${(error as Error).message}`);
      } finally {
        trace.disable();
      }
    },
  };
}
