/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, the api exports the library's spans over OTLP/HTTP: here to
 * a collector of the test's own, which receives one trace per saga under the app's service name.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/api-config.js';
import { ApiClient, orderInput } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}

let collector: Server;
let endpoint: string;
const exported: { service: string | undefined; spans: OtlpSpan[] }[] = [];

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.method === 'POST') {
        const payload = JSON.parse(body) as { resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of payload.resourceSpans) {
          const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          exported.push({ service, spans: rs.scopeSpans.flatMap((s) => s.spans) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  collector.closeAllConnections();
  await new Promise((r) => collector.close(r));
});

const attr = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;

describe('OTLP export', () => {
  it('reads the endpoint and service name from the environment, and is off without them', () => {
    expect(loadConfig({}).otlpEndpoint).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_SERVICE_NAME: 'shop' })).toMatchObject({ otlpEndpoint: 'http://collector:4318', otelServiceName: 'shop' });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
  });

  it("exports each saga's spans, in one trace, to <endpoint>/v1/traces", async () => {
    let app: TestApp | undefined = await startTestApp({ config: { otlpEndpoint: endpoint, otelServiceName: 'saga-shop' } });
    try {
      const api = new ApiClient(app);
      const id = await api.startOrder(orderInput());
      await api.waitForStatus(id, 'COMPLETED');
      await app.close(); // flushes what is batched
      app = undefined;
    } finally {
      await app?.close();
    }
    const spans = exported.filter((e) => e.service === 'saga-shop').flatMap((e) => e.spans);
    const names = spans.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['saga.start order', 'saga.run order', 'saga.step check-inventory', 'saga.step process-payment', 'saga.step create-shipment']));
    const sagaIds = new Set(spans.map((s) => attr(s, 'saga.id')));
    expect(sagaIds.size).toBe(1);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
  });
});
