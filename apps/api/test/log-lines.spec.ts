/**
 * Text logs of the running app: a value a client sends (here an operator's reason, written to the
 * log by the saga event logger) cannot add a line of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppLogger } from '../src/logging/app-logger.js';
import { ApiClient, orderInput } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('text logs', () => {
  const lines: string[] = [];
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await startTestApp({ logger: new AppLogger({ format: 'text', level: 'log', write: (line) => lines.push(line) }) });
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('prints a reason with a newline on the line of its own event, escaped', async () => {
    const forged = '1999-12-31T23:59:59.999Z ERROR   [Saga] Saga "order" (id=forged) failed';
    // Long enough to be cancelled while it waits; the wait ends as soon as the cancel aborts it.
    const id = await api.startOrder(orderInput({ simulate: { delayMs: { 'process-payment': 30_000 } } }));
    await api.waitFor(id, (d) => d.currentStep === 'process-payment', 'process-payment');
    const res = await api.post(`/api/sagas/${id}/cancel`, { reason: `customer asked\n${forged}\r\u2028by phone` });
    expect(res.status).toBe(202);
    await api.waitForStatus(id, 'CANCELLED');

    // The reason is logged with the cancel (once or twice, depending on whether the owner applied it at once).
    const withReason = lines.filter((l) => l.includes(id) && l.includes('reason='));
    expect(withReason.length).toBeGreaterThan(0);
    for (const line of withReason) expect(line).toContain(`actor=operator reason=customer asked\\n${forged}\\r\\u2028by phone`);
    for (const line of lines) expect(line).not.toMatch(/[\n\r\u0085\u2028\u2029]/);
    expect(lines.filter((l) => l.startsWith('1999-12-31'))).toEqual([]);
  });
});
