/**
 * Bulk actions through HTTP on one instance: the dry run, the tracked operation and its per-saga
 * results, the throttle, a cancel midway, and who may do it.
 */
import type { BulkActionPreview, BulkActionView, SagaDetail } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForBulk } from './support/bulk.js';
import { ApiClient, orderInput } from './support/http.js';
import { ledger } from './support/ledger.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const atStep = (step: string) => (d: SagaDetail) => d.status === 'RUNNING' && d.steps.some((s) => s.name === step && s.status === 'RUNNING');
const bulkEvents = (d: SagaDetail, bulkId: string) => d.events.filter((e) => e.reason?.startsWith(`bulk ${bulkId}: `));

describe('bulk actions', () => {
  let app: TestApp;
  let api: ApiClient;

  beforeAll(async () => {
    app = await startTestApp();
    api = new ApiClient(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses a viewer with 403, for the dry run and the real run', async () => {
    const body = { action: 'cancel', filter: { name: 'order' }, reason: 'viewer tries' };
    for (const dryRun of [true, false]) {
      const res = await api.post('/api/bulk-actions', { ...body, dryRun }, 'viewer');
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    expect((await api.post('/api/bulk-actions', body, 'none')).status).toBe(401);
  });

  it('answers malformed requests with 400 naming the field', async () => {
    const valid = { action: 'cancel', filter: { name: 'order' }, reason: 'tidy up', dryRun: true };
    const cases: [unknown, string][] = [
      [{ ...valid, action: 'explode' }, 'action'],
      [{ ...valid, reason: undefined }, 'reason'],
      [{ ...valid, reason: '   ' }, 'reason'],
      [{ ...valid, filter: undefined }, 'filter'],
      [{ ...valid, filter: { status: ['RUNNING', 'SLEEPING'] } }, 'filter.status'],
      [{ ...valid, filter: { ids: ['not-a-uuid'] } }, 'filter.ids[0]'],
      [{ ...valid, filter: { ids: Array.from({ length: 1001 }, () => '00000000-0000-4000-8000-000000000000') } }, 'filter.ids'],
      [{ ...valid, filter: { stuck: 'yes' } }, 'filter.stuck'],
      [{ ...valid, filter: { colour: 'red' } }, 'filter.colour'],
      [{ ...valid, ratePerSec: 0 }, 'ratePerSec'],
      [{ ...valid, ratePerSec: 'fast' }, 'ratePerSec'],
      [{ ...valid, dryRun: 'maybe' }, 'dryRun'],
    ];
    for (const [body, field] of cases) {
      const res = await api.post('/api/bulk-actions', body);
      expect(res.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED', field });
    }
    const id = await api.get('/api/bulk-actions/not-a-uuid');
    expect(id.status).toBe(400);
    expect(id.body.field).toBe('id');
    const unknown = await api.get('/api/bulk-actions/0b5c0f9e-2f55-4a6b-9d3e-5b7a1c2d3e4f');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('BULK_ACTION_NOT_FOUND');
    const cancelUnknown = await api.post('/api/bulk-actions/0b5c0f9e-2f55-4a6b-9d3e-5b7a1c2d3e4f/cancel', {});
    expect(cancelUnknown.status).toBe(404);
  });

  it('a dry run says what the real run then touches: the same sagas, by status, and the compensations per definition', async () => {
    const prefix = `dry-${Date.now().toString(36)}-`;
    const running: string[] = [];
    for (let i = 0; i < 3; i++) {
      running.push(await api.startOrder(orderInput({ simulate: { delayMs: { 'process-payment': 9_000 } } }), `${prefix}run-${i}`));
    }
    const completed: string[] = [];
    for (let i = 0; i < 2; i++) completed.push(await api.startOrder(orderInput(), `${prefix}done-${i}`));
    for (const id of completed) await api.waitForStatus(id, 'COMPLETED');
    for (const id of running) await api.waitFor(id, atStep('process-payment'), 'process-payment running');

    const request = { action: 'cancel', filter: { name: 'order', q: prefix }, reason: 'payment provider outage' };
    const dry = await api.post<BulkActionPreview>('/api/bulk-actions', { ...request, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ action: 'cancel', matched: 3, byStatus: { RUNNING: 3 }, skipped: 2, skippedByStatus: { COMPLETED: 2 } });
    expect(dry.body.sample.map((s) => s.id).sort()).toEqual([...running].sort());
    expect(dry.body.compensations).toEqual([
      {
        name: 'order',
        sagas: 3,
        steps: [
          { step: 'process-payment', sagas: 3 },
          { step: 'reserve-inventory', sagas: 3 },
        ],
        noCompensation: [{ step: 'check-inventory', sagas: 3 }],
      },
    ]);
    // A dry run changes nothing.
    for (const id of running) expect((await api.detail(id)).status).toBe('RUNNING');

    const started = await api.post<{ id: string }>('/api/bulk-actions', request);
    expect(started.status).toBe(202);
    const bulkId = started.body.id;
    const done = await waitForBulk(api, bulkId, (v) => v.status === 'DONE', 'DONE');
    expect(done).toMatchObject({ id: bulkId, action: 'cancel', total: 3, done: 3, succeeded: 3, failed: 0, failures: [], reason: 'payment provider outage', actor: 'operator' });

    // Exactly the sagas of the dry run were acted on, each with the bulk action named in its history.
    for (const id of running) {
      const d = await api.waitForStatus(id, 'CANCELLED');
      const requests = bulkEvents(d, bulkId).filter((e) => e.type === 'CANCEL_REQUESTED');
      expect(requests).toEqual([expect.objectContaining({ actor: 'operator', reason: `bulk ${bulkId}: payment provider outage` })]);
      // The compensations the dry run announced are the ones that ran.
      const compensated = d.steps.filter((s) => s.compensation.status === 'COMPENSATED').map((s) => s.name);
      expect(compensated.sort()).toEqual(['process-payment', 'reserve-inventory']);
      const l = await ledger(api, String(d.input && (d.input as { orderId: string }).orderId));
      expect(l.payments.filter((p) => p.status === 'CHARGED')).toEqual([]);
      expect(l.reservations.every((r) => r.status === 'RELEASED')).toBe(true);
    }
    for (const id of completed) {
      const d = await api.detail(id);
      expect(d.status).toBe('COMPLETED');
      expect(bulkEvents(d, bulkId)).toEqual([]);
    }
  });

  it('records a failure, with its code, for a saga whose status changed before its turn came', async () => {
    const prefix = `late-${Date.now().toString(36)}-`;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await api.startOrder(orderInput({ simulate: { delayMs: { 'check-inventory': 300 } } }), `${prefix}${i}`);
      await api.waitFor(id, atStep('check-inventory'), 'check-inventory running');
      expect((await api.post(`/api/sagas/${id}/pause`, { reason: 'hold' })).status).toBe(202);
      ids.push(id);
    }
    for (const id of ids) await api.waitForStatus(id, 'PAUSED');

    // Newest first, one every 2 s: the oldest saga's turn comes last, after someone resumed it by hand.
    const started = await api.post('/api/bulk-actions', { action: 'resume', filter: { q: prefix }, reason: 'provider is back', ratePerSec: 0.5 });
    expect(started.status).toBe(202);
    expect((await api.post(`/api/sagas/${ids[0]}/resume`, { reason: 'by hand first' })).status).toBe(202);

    const done = await waitForBulk(api, started.body.id, (v) => v.status === 'DONE', 'DONE');
    expect(done).toMatchObject({ total: 3, done: 3, succeeded: 2, failed: 1 });
    expect(done.failures).toEqual([{ sagaId: ids[0], code: 'INVALID_SAGA_TRANSITION', message: expect.stringMatching(/^Cannot resume saga "order" .* while it is (RUNNING|COMPLETED)\.$/) }]);
    for (const id of ids) await api.waitForStatus(id, 'COMPLETED');
    expect(bulkEvents(await api.detail(ids[0]!), started.body.id)).toEqual([]);
    expect(bulkEvents(await api.detail(ids[1]!), started.body.id)).toEqual([expect.objectContaining({ type: 'SAGA_RESUMED', actor: 'operator' })]);
  });

  it('cancelling the bulk action midway stops it: done < total, status CANCELLED, the rest untouched', async () => {
    const prefix = `stop-${Date.now().toString(36)}-`;
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(await api.startOrder(orderInput({ simulate: { delayMs: { 'check-inventory': 9_000, 'reserve-inventory': 9_000 } } }), `${prefix}${i}`));
    }
    for (const id of ids) await api.waitFor(id, atStep('check-inventory'), 'check-inventory running');

    const started = await api.post('/api/bulk-actions', { action: 'cancel', filter: { q: prefix, status: ['RUNNING'] }, reason: 'too many', ratePerSec: 4 });
    expect(started.status).toBe(202);
    const bulkId = started.body.id as string;
    await waitForBulk(api, bulkId, (v) => v.done >= 2, 'two sagas done');

    const cancelled = await api.post<BulkActionView>(`/api/bulk-actions/${bulkId}/cancel`, {});
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(cancelled.body.finishedAt).not.toBeNull();
    const again = await api.post(`/api/bulk-actions/${bulkId}/cancel`, {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('BULK_ACTION_NOT_RUNNING');

    // Once the runner has let go (the saga in flight at the cancel is recorded), count what it did.
    const after = await waitForBulk(api, bulkId, (v) => v.ownerId === null, 'released');
    const touched: string[] = [];
    for (const id of ids) if (bulkEvents(await api.detail(id), bulkId).length) touched.push(id);
    for (const id of touched) await api.waitForStatus(id, 'CANCELLED');
    expect(after.status).toBe('CANCELLED');
    expect(after.total).toBe(12);
    expect(after.done).toBe(touched.length);
    expect(after.done).toBeLessThan(after.total);
    expect(after.succeeded).toBe(after.done);
    // The sagas it had not reached are still running, with no word of the bulk action.
    const untouched = ids.filter((id) => !touched.includes(id));
    expect(untouched.length).toBe(12 - after.done);
    for (const id of untouched) expect((await api.detail(id)).status).toBe('RUNNING');
    // Nothing more happened meanwhile: the cancelled sagas settled after the cancel, and the count stands.
    expect((await waitForBulk(api, bulkId, () => true, 'read')).done).toBe(after.done);
  });

  it('a bulk action on ids takes exactly those sagas, and one that matches nothing is DONE at once', async () => {
    // Pause lets the attempt in flight finish: short ones for the two paused, a long one for the third.
    const a = await api.startOrder(orderInput({ simulate: { delayMs: { 'check-inventory': 1_000 } } }));
    const b = await api.startOrder(orderInput({ simulate: { delayMs: { 'check-inventory': 1_000 } } }));
    const c = await api.startOrder(orderInput({ simulate: { delayMs: { 'check-inventory': 9_000 } } }));
    for (const id of [a, b, c]) await api.waitFor(id, atStep('check-inventory'), 'running');
    const dry = await api.post<BulkActionPreview>('/api/bulk-actions', { action: 'pause', filter: { ids: [a, b] }, reason: 'look closer', dryRun: true });
    expect(dry.body).toMatchObject({ matched: 2, byStatus: { RUNNING: 2 }, skipped: 0, compensations: [] });
    const started = await api.post('/api/bulk-actions', { action: 'pause', filter: { ids: [a, b] }, reason: 'look closer' });
    const done = await waitForBulk(api, started.body.id, (v) => v.status === 'DONE', 'DONE');
    expect(done).toMatchObject({ total: 2, succeeded: 2, filter: { ids: [a, b] } });
    await api.waitForStatus(a, 'PAUSED');
    await api.waitForStatus(b, 'PAUSED');
    expect((await api.detail(c)).status).toBe('RUNNING');

    const none = await api.post('/api/bulk-actions', { action: 'resume', filter: { q: 'no-such-key-at-all' }, reason: 'nothing' });
    expect(none.status).toBe(202);
    expect(await waitForBulk(api, none.body.id, (v) => v.status === 'DONE', 'DONE')).toMatchObject({ total: 0, done: 0 });
  });
});
