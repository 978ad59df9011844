import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { InMemorySagaStore } from '../src/testing/index.js';
import { PostgresSagaStore, sagaMigrations, type SagaStore } from '../src/index.js';
import type { Checkpoint } from '../src/lib/persistence/saga.store.js';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase('saga_store');
  pool = new pg.Pool({ connectionString: db.url });
  // Dropping the database at the end terminates the pool's clients, idle or still closing: not an
  // error here (the pool re-emits an idle client's error, and an unheard 'error' event throws).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  for (const Migration of sagaMigrations) await new Migration().up({ query: (q: string) => pool.query(q) } as any);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const stores: [string, () => SagaStore][] = [
  ['PostgreSQL store', () => new PostgresSagaStore(pool)],
  ['in-memory store', () => new InMemorySagaStore()],
];

describe.each(stores)('%s', (_name, makeStore) => {
  async function ownedSaga(store: SagaStore, ownerId = 'me') {
    const id = crypto.randomUUID();
    await store.insert({ id, name: 'x', version: 1, status: 'RUNNING', input: {}, idempotencyKey: null, steps: [], deadlineMs: null, ownerId, leaseMs: 30_000 }, []);
    return id;
  }

  const settle = (sagaId: string, clearRequestToken: string | null = null): Checkpoint => ({
    sagaId, ownerId: 'me', fence: 1, status: 'COMPLETED', currentStep: 0, steps: [], error: null, compensationCause: null,
    deadlineHandled: false, finished: true, release: true, nextRunInMs: null, leaseMs: 30_000, clearRequestToken, events: [{ type: 'SAGA_COMPLETED' }],
  });

  it('keeps a saga due when it settles with an operator request it never saw', async () => {
    const store = makeStore();
    const id = await ownedSaga(store);
    const request = { action: 'compensate' as const, step: null, actor: 'ops', reason: 'late', token: crypto.randomUUID(), at: new Date().toISOString() };
    expect(await store.request(id, request, ['RUNNING'], null)).not.toBeNull();
    expect((await store.checkpoint(settle(id))).ok).toBe(true);
    const rec = (await store.get(id))!;
    expect(rec.request?.token).toBe(request.token);
    expect(rec.ownerId).toBeNull();
    expect(rec.nextRunAt).not.toBeNull();
    const claimed = await store.claimDue('other', 10, 30_000);
    expect(claimed.map((c) => c.saga.id)).toContain(id);
  });

  it('leaves a settled saga with no request out of the claims', async () => {
    const store = makeStore();
    const id = await ownedSaga(store);
    expect((await store.checkpoint(settle(id))).ok).toBe(true);
    expect((await store.get(id))!.nextRunAt).toBeNull();
    expect((await store.claimDue('other', 100, 30_000)).map((c) => c.saga.id)).not.toContain(id);
  });

  it('on restart, takes back the sagas still owned under its id (any lease): new fence, history says restart; the old fence is refused', async () => {
    const store = makeStore();
    const me = `pod-${crypto.randomUUID()}`;
    const mine = await ownedSaga(store, me);
    const settled = await ownedSaga(store, me);
    expect((await store.checkpoint({ ...settle(settled), ownerId: me })).ok).toBe(true);
    const theirs = await ownedSaga(store, `pod-${crypto.randomUUID()}`);

    const reclaimed = await store.reclaim(me, 10, 30_000);
    expect(reclaimed.map((c) => [c.saga.id, c.saga.fence, c.saga.ownerId, c.previousOwner])).toEqual([[mine, 2, me, me]]);
    expect((await store.getEvents(mine)).map((e) => [e.type, e.actor, e.data])).toEqual([
      ['LEASE_TAKEN_OVER', me, { previousOwner: me, newOwner: me, fence: 2, restart: true }],
    ]);
    expect((await store.checkpoint({ ...settle(mine), ownerId: me, fence: 1 })).ok).toBe(false);
    expect((await store.checkpoint({ ...settle(mine), ownerId: me, fence: 2 })).ok).toBe(true);
    expect((await store.get(theirs))!.fence).toBe(1);
    expect(await store.getEvents(theirs)).toEqual([]);
    expect(await store.reclaim(me, 10, 30_000)).toEqual([]);
  });

  it('on restart, leaves the owned sagas beyond its capacity to any instance at once', async () => {
    const store = makeStore();
    const me = `pod-${crypto.randomUUID()}`;
    const ids: string[] = [await ownedSaga(store, me), await ownedSaga(store, me), await ownedSaga(store, me)];
    const reclaimed = await store.reclaim(me, 1, 30_000);
    expect(reclaimed).toHaveLength(1);
    const claimed = (await store.claimDue('other', 100, 30_000)).filter((c) => ids.includes(c.saga.id));
    expect(claimed.map((c) => c.saga.id).sort()).toEqual(ids.filter((id) => id !== reclaimed[0].saga.id).sort());
    expect(claimed.map((c) => c.previousOwner)).toEqual([me, me]);
  });

  it('answers the same request again with the one that waits, writing nothing; refuses another while it waits', async () => {
    const store = makeStore();
    const id = await ownedSaga(store);
    const request = (action: 'pause' | 'cancel' | 'resolve', actor: string, step: string | null = null) =>
      ({ action, step, actor, reason: null, token: crypto.randomUUID(), at: new Date().toISOString() });
    const first = request('pause', 'ops-1');
    const event = (actor: string) => ({ type: 'PAUSE_REQUESTED' as const, actor });
    expect((await store.request(id, first, ['RUNNING'], event('ops-1')))?.request).toEqual(first);
    const again = await Promise.all([2, 3, 4].map((n) => store.request(id, request('pause', `ops-${n}`), ['RUNNING'], event(`ops-${n}`))));
    expect(again.map((r) => r?.request?.token)).toEqual([first.token, first.token, first.token]);
    expect(await store.request(id, request('cancel', 'ops-5'), ['RUNNING'], null)).toBeNull();
    expect((await store.getEvents(id)).map((e) => [e.type, e.actor])).toEqual([['PAUSE_REQUESTED', 'ops-1']]);
    // Once applied (cleared by the owner's checkpoint), a new request is written.
    expect((await store.checkpoint({ ...settle(id, first.token), status: 'RUNNING', finished: false, release: false, events: [] })).ok).toBe(true);
    const next = request('cancel', 'ops-6');
    expect((await store.request(id, next, ['RUNNING'], null))?.request?.token).toBe(next.token);
    // Two resolves of different steps are different requests.
    const other = await ownedSaga(store);
    expect(await store.request(other, request('resolve', 'a', 'step-a'), ['RUNNING'], null)).not.toBeNull();
    expect(await store.request(other, request('resolve', 'b', 'step-b'), ['RUNNING'], null)).toBeNull();
  });

  it('refuses a checkpoint with a stale fence and writes none of its events', async () => {
    const store = makeStore();
    const id = await ownedSaga(store);
    expect((await store.checkpoint({ ...settle(id), fence: 7 })).ok).toBe(false);
    expect((await store.get(id))!.status).toBe('RUNNING');
    expect(await store.getEvents(id)).toEqual([]);
  });
});
