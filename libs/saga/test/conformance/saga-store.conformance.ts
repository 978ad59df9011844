/**
 * The SagaStore contract as tests: every store (in memory, PostgreSQL, embedded PGlite, Redis) runs
 * this same suite. The PostgreSQL store is the reference; a case states what the engine relies on,
 * in terms a store's user would check (records, history, claims), never how a store lays data out.
 *
 * `describeSagaStoreConformance(name, open)`: `open()` is called once; its `empty()` before every
 * case must give a store holding no sagas and no history.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SagaStatus } from '@nest-saga/contracts';
// The contract's types as the package exports them: a store written outside this repository has the same.
import { SagaQueryError, type Checkpoint, type NewSaga, type NewSagaEvent, type SagaRequest, type SagaStore, type StepState } from '../../src/index.js';
import type { SagaRetentionStore } from '../../src/lib/persistence/saga-retention.store.js';

export interface ConformanceTarget {
  /** A store with no sagas and no history (a new one, or the same one emptied). */
  empty(): Promise<SagaStore>;
  /** Called once after the last case. */
  close?(): Promise<void>;
  /**
   * The store's retention, for stores that have one (PostgreSQL and PGlite; retention is
   * PostgreSQL-only, so these cases are skipped on the others).
   */
  retention?(): SagaRetentionStore;
}

const LEASE = 30_000;

function step(name: string): StepState {
  return {
    name,
    status: 'PENDING',
    attempts: 0,
    budgetStart: 0,
    error: null,
    startedAt: null,
    finishedAt: null,
    nextAttemptAt: null,
    outcomeUnknown: false,
    compensation: { status: null, attempts: 0, budgetStart: 0, error: null, startedAt: null, finishedAt: null, nextAttemptAt: null },
  };
}

export function describeSagaStoreConformance(name: string, open: () => Promise<ConformanceTarget> | ConformanceTarget): void {
  describe(`SagaStore conformance: ${name}`, () => {
    let target: ConformanceTarget;
    let store: SagaStore;

    beforeAll(async () => {
      target = await open();
    });
    afterAll(async () => {
      await target?.close?.();
    });
    beforeEach(async () => {
      store = await target.empty();
    });

    function newSaga(overrides: Partial<NewSaga> = {}): NewSaga {
      return {
        id: crypto.randomUUID(),
        name: 'order',
        version: 1,
        status: 'RUNNING',
        input: { orderId: 'o-1', lines: [{ sku: 'a', qty: 2 }], note: null },
        idempotencyKey: null,
        steps: [step('reserve'), step('pay')],
        deadlineMs: null,
        ownerId: 'me',
        leaseMs: LEASE,
        ...overrides,
      };
    }

    async function insert(overrides: Partial<NewSaga> = {}, events: NewSagaEvent[] = []) {
      const { saga, created } = await store.insert(newSaga(overrides), events);
      expect(created).toBe(true);
      return saga;
    }

    function checkpoint(sagaId: string, overrides: Partial<Checkpoint> = {}): Checkpoint {
      return {
        sagaId,
        ownerId: 'me',
        fence: 1,
        status: 'RUNNING',
        currentStep: 1,
        steps: [{ ...step('reserve'), status: 'COMPLETED', attempts: 1, output: { reservation: 'r-1' } }, step('pay')],
        error: null,
        compensationCause: null,
        deadlineHandled: false,
        finished: false,
        release: false,
        nextRunInMs: null,
        leaseMs: LEASE,
        clearRequestToken: null,
        events: [],
        ...overrides,
      };
    }

    const settle = (sagaId: string, overrides: Partial<Checkpoint> = {}) =>
      checkpoint(sagaId, { status: 'COMPLETED', finished: true, release: true, events: [{ type: 'SAGA_COMPLETED' }], ...overrides });

    function request(action: SagaRequest['action'], actor = 'ops', stepName: string | null = null): SagaRequest {
      return { action, step: stepName, actor, reason: 'because', token: `${new Date().toISOString()}-${crypto.randomUUID()}`, at: new Date().toISOString() };
    }

    const types = async (id: string) => (await store.getEvents(id)).map((e) => e.type);
    const claimedIds = async (owner: string, limit = 100) => (await store.claimDue(owner, limit, LEASE)).map((c) => c.saga.id);

    /** A saga owned by `owner` whose lease has run out (waited for on the store's own clock). */
    async function expiredSaga(owner: string, overrides: Partial<NewSaga> = {}) {
      const saga = await insert({ ownerId: owner, leaseMs: 1, ...overrides });
      // The store and this process share the machine's clock.
      await expect.poll(() => Date.now() > saga.leaseExpiresAt!.getTime() + 5).toBe(true);
      return saga;
    }

    describe('start (insert)', () => {
      it('stores an owned saga with fence 1, its lease, its data and its first events in order', async () => {
        const input = newSaga({
          idempotencyKey: `key-${crypto.randomUUID()}`,
          deadlineMs: 60_000,
          traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } as never,
        });
        const { saga, created } = await store.insert(input, [{ type: 'SAGA_STARTED', actor: 'api', data: { source: 'test' } }, { type: 'STEP_STARTED', step: 'reserve', attempt: 1 }]);
        expect(created).toBe(true);
        expect(saga).toMatchObject({
          id: input.id,
          name: 'order',
          version: 1,
          status: 'RUNNING',
          input: input.input,
          currentStep: 0,
          idempotencyKey: input.idempotencyKey,
          ownerId: 'me',
          fence: 1,
          request: null,
          error: null,
          steps: input.steps,
          finishedAt: null,
          stuckSince: null,
          stuckReason: null,
          compensationCause: null,
          deadlineHandledAt: null,
          traceContext: input.traceContext,
        });
        expect(saga.leaseExpiresAt!.getTime()).toBeGreaterThan(saga.createdAt.getTime());
        expect(saga.deadlineAt!.getTime()).toBeGreaterThan(saga.createdAt.getTime() + 50_000);
        expect(await store.get(saga.id)).toEqual(saga);
        const events = await store.getEvents(saga.id);
        expect(events.map((e) => [e.type, e.step, e.attempt, e.actor, e.data])).toEqual([
          ['SAGA_STARTED', null, null, 'api', { source: 'test' }],
          ['STEP_STARTED', 'reserve', 1, null, null],
        ]);
        expect(events.every((e) => e.sagaId === saga.id && e.at instanceof Date)).toBe(true);
      });

      it('returns the input as stored (a Date as its ISO text, no undefined), a copy the caller cannot change', async () => {
        const at = new Date('2026-01-02T03:04:05.678Z');
        const input = { at, gone: undefined, nested: { list: [1, 'two', null] } };
        const saga = await insert({ input });
        expect(saga.input).toEqual({ at: at.toISOString(), nested: { list: [1, 'two', null] } });
        input.nested.list.push(4);
        expect(saga.input).toEqual((await store.get(saga.id))!.input);
      });

      it('stores an unowned saga due at once with fence 0; the first claim is no takeover', async () => {
        const saga = await insert({ ownerId: null, status: 'PENDING' });
        expect(saga).toMatchObject({ ownerId: null, fence: 0, leaseExpiresAt: null });
        expect(saga.nextRunAt).not.toBeNull();
        const claimed = await store.claimDue('worker-1', 10, LEASE);
        expect(claimed.map((c) => [c.saga.id, c.saga.ownerId, c.saga.fence, c.previousOwner])).toEqual([[saga.id, 'worker-1', 1, null]]);
        expect(await store.getEvents(saga.id)).toEqual([]);
      });

      it('returns the existing saga for a known idempotency key (created false) and writes nothing', async () => {
        const key = `key-${crypto.randomUUID()}`;
        const first = await insert({ idempotencyKey: key }, [{ type: 'SAGA_STARTED' }]);
        const again = await store.insert(newSaga({ idempotencyKey: key, input: { other: true } }), [{ type: 'SAGA_STARTED', actor: 'second' }]);
        expect(again.created).toBe(false);
        expect(again.saga.id).toBe(first.id);
        expect(again.saga.input).toEqual(first.input);
        expect(await types(first.id)).toEqual(['SAGA_STARTED']);
        expect((await store.list({ limit: 10 })).items.map((s) => s.id)).toEqual([first.id]);
      });

      it('answers a start sent again with the same id (its reply lost) with that saga, created, writing nothing more', async () => {
        const keyed = newSaga({ idempotencyKey: `key-${crypto.randomUUID()}` });
        const first = await store.insert(keyed, [{ type: 'SAGA_STARTED' }]);
        const again = await store.insert(keyed, [{ type: 'SAGA_STARTED' }]);
        expect(again.created).toBe(true);
        expect(again.saga).toMatchObject({ id: keyed.id, ownerId: 'me', fence: first.saga.fence, createdAt: first.saga.createdAt, input: first.saga.input });
        expect(await types(keyed.id)).toEqual(['SAGA_STARTED']);
        // Without a key too, and sent again beside other starts (a shared statement where the store groups them).
        const lone = newSaga();
        await store.insert(lone, [{ type: 'SAGA_STARTED' }]);
        const others = [newSaga(), newSaga()];
        const results = await Promise.all([lone, ...others].map((s) => store.insert(s, [{ type: 'SAGA_STARTED' }])));
        expect(results.map((r) => [r.saga.id, r.created])).toEqual([lone, ...others].map((s) => [s.id, true]));
        expect(await types(lone.id)).toEqual(['SAGA_STARTED']);
        expect((await store.list({ limit: 10 })).items.map((s) => s.id).sort()).toEqual([keyed.id, lone.id, ...others.map((s) => s.id)].sort());
      });

      it('creates one saga when many starts with one key run at the same time', async () => {
        const key = `key-${crypto.randomUUID()}`;
        const results = await Promise.all(Array.from({ length: 12 }, () => store.insert(newSaga({ idempotencyKey: key }), [{ type: 'SAGA_STARTED' }])));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.saga.id)).size).toBe(1);
        expect((await store.list({ limit: 50 })).items).toHaveLength(1);
        expect(await types(results[0].saga.id)).toEqual(['SAGA_STARTED']);
      });
    });

    describe('fenced checkpoint', () => {
      it('writes the state and appends its events in order after the earlier ones', async () => {
        const saga = await insert({}, [{ type: 'SAGA_STARTED' }]);
        const cp = checkpoint(saga.id, {
          error: { name: 'Error', message: 'boom' } as never,
          compensationCause: 'STEP_FAILED',
          status: 'COMPENSATING',
          events: [{ type: 'STEP_SUCCEEDED', step: 'reserve', attempt: 1 }, { type: 'STEP_STARTED', step: 'pay', attempt: 1 }],
        });
        expect(await store.checkpoint(cp)).toEqual({ ok: true, request: null });
        const rec = (await store.get(saga.id))!;
        expect(rec).toMatchObject({ status: 'COMPENSATING', currentStep: 1, steps: cp.steps, error: cp.error, compensationCause: 'STEP_FAILED', ownerId: 'me', fence: 1 });
        expect(rec.updatedAt.getTime()).toBeGreaterThanOrEqual(saga.updatedAt.getTime());
        const events = await store.getEvents(saga.id);
        expect(events.map((e) => [e.type, e.step])).toEqual([
          ['SAGA_STARTED', null],
          ['STEP_SUCCEEDED', 'reserve'],
          ['STEP_STARTED', 'pay'],
        ]);
      });

      it('refuses a wrong fence or a wrong owner and writes nothing, not even its events', async () => {
        const saga = await insert();
        for (const wrong of [{ fence: 2 }, { fence: 0 }, { ownerId: 'someone-else' }]) {
          expect(await store.checkpoint(settle(saga.id, wrong))).toEqual({ ok: false, request: null });
        }
        expect(await store.checkpoint(settle('00000000-0000-4000-8000-000000000000'))).toEqual({ ok: false, request: null });
        const rec = (await store.get(saga.id))!;
        expect(rec).toMatchObject({ status: 'RUNNING', currentStep: 0, ownerId: 'me', fence: 1, finishedAt: null });
        expect(await store.getEvents(saga.id)).toEqual([]);
      });

      it('applies a checkpoint sent again with the same seq (its reply lost) once: events once, answered as applied', async () => {
        const saga = await insert();
        const first = checkpoint(saga.id, { seq: 1, events: [{ type: 'STEP_SUCCEEDED', step: 'reserve' }] });
        expect(await store.checkpoint(first)).toEqual({ ok: true, request: null });
        expect(await store.checkpoint({ ...first })).toEqual({ ok: true, request: null });
        expect(await types(saga.id)).toEqual(['STEP_SUCCEEDED']);
        // The next write (a release) is applied; sent again, it is still answered as applied, though the saga has no owner now.
        const last = settle(saga.id, { seq: 2 });
        expect((await store.checkpoint(last)).ok).toBe(true);
        expect(await store.checkpoint({ ...last })).toEqual({ ok: true, request: null });
        expect(await types(saga.id)).toEqual(['STEP_SUCCEEDED', 'SAGA_COMPLETED']);
        // An older write, or one under another fence, is no retry of the last one: refused as before.
        expect((await store.checkpoint({ ...first })).ok).toBe(false);
        expect((await store.checkpoint(settle(saga.id, { seq: 2, fence: 2 }))).ok).toBe(false);
        expect(await types(saga.id)).toEqual(['STEP_SUCCEEDED', 'SAGA_COMPLETED']);
      });

      it('applies the first writes of a new owner whose seqs repeat the previous owner\'s (claim and takeover)', async () => {
        const saga = await insert({ leaseMs: 1 });
        expect((await store.checkpoint(checkpoint(saga.id, { seq: 1, leaseMs: 1, events: [{ type: 'STEP_SUCCEEDED', step: 'reserve' }] }))).ok).toBe(true);
        await expect.poll(async () => (await store.claimOne(saga.id, 'other', LEASE))?.saga.fence ?? null).toBe(2);
        expect(await store.checkpoint(checkpoint(saga.id, { ownerId: 'other', fence: 2, seq: 1, events: [{ type: 'STEP_STARTED', step: 'pay' }] }))).toEqual({ ok: true, request: null });
        // The same owner taking its own saga back after a restart (new fence, seq from 1 again).
        expect((await store.reclaim('other', 10, LEASE)).map((c) => c.saga.fence)).toEqual([3]);
        expect((await store.checkpoint(checkpoint(saga.id, { ownerId: 'other', fence: 3, seq: 1, events: [{ type: 'STEP_SUCCEEDED', step: 'pay' }] }))).ok).toBe(true);
        expect((await types(saga.id)).filter((t) => t.startsWith('STEP_'))).toEqual(['STEP_SUCCEEDED', 'STEP_STARTED', 'STEP_SUCCEEDED']);
      });

      it('keeps the first finish and deadline-handled times; clears them when no longer set', async () => {
        const saga = await insert();
        expect((await store.checkpoint(checkpoint(saga.id, { finished: true, deadlineHandled: true, status: 'COMPENSATED' }))).ok).toBe(true);
        const first = (await store.get(saga.id))!;
        expect(first.finishedAt).not.toBeNull();
        expect(first.deadlineHandledAt).not.toBeNull();
        expect((await store.checkpoint(checkpoint(saga.id, { finished: true, deadlineHandled: true, status: 'COMPENSATED' }))).ok).toBe(true);
        const second = (await store.get(saga.id))!;
        expect(second.finishedAt).toEqual(first.finishedAt);
        expect(second.deadlineHandledAt).toEqual(first.deadlineHandledAt);
        expect((await store.checkpoint(checkpoint(saga.id, { status: 'COMPENSATING' }))).ok).toBe(true);
        expect((await store.get(saga.id))!).toMatchObject({ finishedAt: null, deadlineHandledAt: null });
      });

      it('without release keeps the owner and extends the lease: nobody else can claim it', async () => {
        const saga = await insert({ leaseMs: 1 });
        expect((await store.checkpoint(checkpoint(saga.id, { leaseMs: LEASE }))).ok).toBe(true);
        const rec = (await store.get(saga.id))!;
        expect(rec.ownerId).toBe('me');
        expect(rec.leaseExpiresAt!.getTime()).toBeGreaterThan(rec.updatedAt.getTime() + LEASE / 2);
        expect(await claimedIds('other')).toEqual([]);
        expect(await store.claimOne(saga.id, 'other', LEASE)).toBeNull();
      });

      it('on release with no next run: unowned, nothing due, never claimed', async () => {
        const saga = await insert();
        expect((await store.checkpoint(settle(saga.id))).ok).toBe(true);
        const rec = (await store.get(saga.id))!;
        expect(rec).toMatchObject({ status: 'COMPLETED', ownerId: null, leaseExpiresAt: null, nextRunAt: null });
        expect(rec.finishedAt).not.toBeNull();
        expect(await claimedIds('other')).toEqual([]);
      });

      it('on release with a next run of 0 ms: due at once for any instance, no takeover recorded', async () => {
        const saga = await insert();
        expect((await store.checkpoint(checkpoint(saga.id, { release: true, nextRunInMs: 0 }))).ok).toBe(true);
        const claimed = await store.claimDue('other', 10, LEASE);
        expect(claimed.map((c) => [c.saga.id, c.saga.ownerId, c.saga.fence, c.previousOwner])).toEqual([[saga.id, 'other', 2, null]]);
        expect(await types(saga.id)).toEqual([]);
      });

      it('on release with a later next run: due only then', async () => {
        const saga = await insert();
        expect((await store.checkpoint(checkpoint(saga.id, { release: true, nextRunInMs: 10 * 60_000 }))).ok).toBe(true);
        const rec = (await store.get(saga.id))!;
        expect(rec.ownerId).toBeNull();
        expect(rec.nextRunAt!.getTime()).toBeGreaterThan(rec.updatedAt.getTime() + 9 * 60_000);
        expect(await claimedIds('other')).toEqual([]);
      });

      it('makes a released saga due at once when an operator request it did not clear still waits', async () => {
        const saga = await insert();
        const req = request('compensate');
        expect(await store.request(saga.id, req, ['RUNNING'], null)).not.toBeNull();
        const result = await store.checkpoint(settle(saga.id));
        expect(result).toEqual({ ok: true, request: req });
        const rec = (await store.get(saga.id))!;
        expect(rec.request).toEqual(req);
        expect(rec.ownerId).toBeNull();
        expect(await claimedIds('other')).toEqual([saga.id]);
      });

      it('clears the request whose token it applied, and only that one', async () => {
        const saga = await insert();
        const req = request('pause');
        await store.request(saga.id, req, ['RUNNING'], null);
        expect(await store.checkpoint(checkpoint(saga.id, { clearRequestToken: 'not-this-one' }))).toEqual({ ok: true, request: req });
        expect((await store.get(saga.id))!.request).toEqual(req);
        expect(await store.checkpoint(checkpoint(saga.id, { clearRequestToken: req.token, status: 'PAUSED', release: true }))).toEqual({ ok: true, request: null });
        const rec = (await store.get(saga.id))!;
        expect(rec).toMatchObject({ request: null, status: 'PAUSED', ownerId: null, nextRunAt: null });
        expect(await claimedIds('other')).toEqual([]);
      });
    });

    describe('claims', () => {
      it('claims every due saga exactly once across many concurrent claims from several owners: new fence, takeovers recorded once', async () => {
        const fresh = new Set<string>();
        for (let i = 0; i < 30; i++) fresh.add((await insert({ ownerId: null, status: 'PENDING' })).id);
        const orphaned = new Set<string>();
        for (let i = 0; i < 10; i++) orphaned.add((await insert({ ownerId: 'dead', leaseMs: 1 })).id);
        const last = (await store.get([...orphaned].at(-1)!))!;
        await expect.poll(() => Date.now() > last.leaseExpiresAt!.getTime() + 5).toBe(true);
        const owners = ['a', 'b', 'c', 'd', 'e'];
        const rounds = await Promise.all(owners.flatMap((owner) => [1, 2, 3].map(() => store.claimDue(owner, 4, LEASE).then((c) => c.map((x) => ({ owner, x }))))));
        let claims = rounds.flat();
        // Whatever is still due after the first wave goes to one more claim.
        claims = [...claims, ...(await store.claimDue('z', 100, LEASE)).map((x) => ({ owner: 'z', x }))];
        expect(claims).toHaveLength(40);
        expect(new Set(claims.map((c) => c.x.saga.id))).toEqual(new Set([...fresh, ...orphaned]));
        for (const { owner, x } of claims) {
          const wasOrphan = orphaned.has(x.saga.id);
          expect(x.saga.ownerId).toBe(owner);
          expect(x.saga.fence).toBe(wasOrphan ? 2 : 1);
          expect(x.previousOwner).toBe(wasOrphan ? 'dead' : null);
          expect((await store.get(x.saga.id))!).toMatchObject({ ownerId: owner, fence: wasOrphan ? 2 : 1 });
          expect((await store.getEvents(x.saga.id)).map((e) => [e.type, e.actor, e.data])).toEqual(
            wasOrphan ? [['LEASE_TAKEN_OVER', owner, { previousOwner: 'dead', newOwner: owner, fence: 2 }]] : [],
          );
        }
        expect(await store.claimDue('late', 100, LEASE)).toEqual([]);
      });

      it('claims no more than the limit, oldest due first', async () => {
        // Due times one after another (sagas started in one clock tick would be due at the same time).
        const later = async (after?: { nextRunAt: Date | null }) => {
          if (after) await expect.poll(() => Date.now() > after.nextRunAt!.getTime() + 2).toBe(true);
          return insert({ ownerId: null });
        };
        const first = await later();
        const second = await later(first);
        const third = await later(second);
        expect(await claimedIds('w', 2)).toEqual([first.id, second.id]);
        expect(await claimedIds('w', 2)).toEqual([third.id]);
      });

      it('never claims a saga whose owner holds a live lease', async () => {
        const saga = await insert();
        expect(await claimedIds('other')).toEqual([]);
        expect(await store.claimOne(saga.id, 'other', LEASE)).toBeNull();
        expect((await store.get(saga.id))!).toMatchObject({ ownerId: 'me', fence: 1 });
      });

      it('takes over an expired lease: new owner, fence bumped, history names the previous owner; the old owner is fenced out', async () => {
        const saga = await expiredSaga('old-owner');
        const claimed = await store.claimDue('new-owner', 10, LEASE);
        expect(claimed.map((c) => [c.saga.id, c.saga.ownerId, c.saga.fence, c.previousOwner])).toEqual([[saga.id, 'new-owner', 2, 'old-owner']]);
        expect((await store.getEvents(saga.id)).map((e) => [e.type, e.actor, e.data])).toEqual([
          ['LEASE_TAKEN_OVER', 'new-owner', { previousOwner: 'old-owner', newOwner: 'new-owner', fence: 2 }],
        ]);
        expect((await store.checkpoint(settle(saga.id, { ownerId: 'old-owner', fence: 1 }))).ok).toBe(false);
        expect((await store.checkpoint(settle(saga.id, { ownerId: 'new-owner', fence: 2 }))).ok).toBe(true);
      });

      it('gives an expired saga to exactly one of many concurrent claimers', async () => {
        const saga = await expiredSaga('dead');
        const results = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((o) => store.claimOne(saga.id, o, LEASE)));
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(winners[0]!.previousOwner).toBe('dead');
        expect(winners[0]!.saga.fence).toBe(2);
        expect(await types(saga.id)).toEqual(['LEASE_TAKEN_OVER']);
      });

      it('claimOne: claims an unowned saga whether due or not; null for an owned or unknown one', async () => {
        const paused = await insert();
        expect((await store.checkpoint(checkpoint(paused.id, { status: 'PAUSED', release: true, nextRunInMs: null }))).ok).toBe(true);
        const claimed = await store.claimOne(paused.id, 'ops-worker', LEASE);
        expect(claimed).toMatchObject({ previousOwner: null, saga: { id: paused.id, ownerId: 'ops-worker', fence: 2 } });
        expect(await store.claimOne(paused.id, 'another', LEASE)).toBeNull();
        expect(await store.claimOne(crypto.randomUUID(), 'another', LEASE)).toBeNull();
        expect(await store.claimOne('not-a-uuid', 'another', LEASE)).toBeNull();
      });
    });

    describe('reclaim (an instance restarting under the same id)', () => {
      it('takes back its unfinished sagas whatever their lease: new fence, restart in history; the old fence is refused', async () => {
        const me = `pod-${crypto.randomUUID()}`;
        const mine = await insert({ ownerId: me });
        const settled = await insert({ ownerId: me });
        expect((await store.checkpoint(settle(settled.id, { ownerId: me }))).ok).toBe(true);
        const theirs = await insert({ ownerId: 'someone-else' });
        const reclaimed = await store.reclaim(me, 10, LEASE);
        expect(reclaimed.map((c) => [c.saga.id, c.saga.fence, c.saga.ownerId, c.previousOwner])).toEqual([[mine.id, 2, me, me]]);
        expect((await store.getEvents(mine.id)).map((e) => [e.type, e.actor, e.data])).toEqual([
          ['LEASE_TAKEN_OVER', me, { previousOwner: me, newOwner: me, fence: 2, restart: true }],
        ]);
        expect((await store.checkpoint(settle(mine.id, { ownerId: me, fence: 1 }))).ok).toBe(false);
        expect((await store.checkpoint(settle(mine.id, { ownerId: me, fence: 2 }))).ok).toBe(true);
        expect((await store.get(theirs.id))!.fence).toBe(1);
        expect(await store.reclaim(me, 10, LEASE)).toEqual([]);
      });

      it('leaves the sagas beyond its limit to any instance at once', async () => {
        const me = `pod-${crypto.randomUUID()}`;
        const ids = [(await insert({ ownerId: me })).id, (await insert({ ownerId: me })).id, (await insert({ ownerId: me })).id];
        const reclaimed = await store.reclaim(me, 1, LEASE);
        expect(reclaimed).toHaveLength(1);
        const claimed = await store.claimDue('other', 100, LEASE);
        expect(claimed.map((c) => c.saga.id).sort()).toEqual(ids.filter((id) => id !== reclaimed[0].saga.id).sort());
        expect(claimed.map((c) => c.previousOwner)).toEqual([me, me]);
      });
    });

    describe('leases and requests of an owner', () => {
      it('renewLeases extends the leases still held and leaves out the lost ones', async () => {
        const held = await insert({ ownerId: 'me', leaseMs: 1 });
        const taken = await expiredSaga('me');
        expect(await store.claimOne(taken.id, 'thief', LEASE)).not.toBeNull();
        const other = await insert({ ownerId: 'someone-else' });
        const req = request('pause');
        await store.request(held.id, req, ['RUNNING'], null);
        const renewed = await store.renewLeases('me', [{ sagaId: held.id, fence: 1 }, { sagaId: taken.id, fence: 1 }, { sagaId: other.id, fence: 1 }, { sagaId: held.id, fence: 9 }], LEASE);
        expect(renewed).toEqual([{ sagaId: held.id, fence: 1, request: req }]);
        // Renewed: held again for the new lease, even though the first one had run out.
        expect(await claimedIds('other')).toEqual([]);
        expect(await store.renewLeases('me', [], LEASE)).toEqual([]);
      });

      it('pendingRequests lists the waiting requests on the sagas this owner holds, only those', async () => {
        const withRequest = await insert({ ownerId: 'me' });
        await insert({ ownerId: 'me' });
        const elsewhere = await insert({ ownerId: 'them' });
        const req = request('cancel');
        await store.request(withRequest.id, req, ['RUNNING'], null);
        await store.request(elsewhere.id, request('cancel'), ['RUNNING'], null);
        expect(await store.pendingRequests('me')).toEqual([{ sagaId: withRequest.id, fence: 1, request: req }]);
        expect(await store.pendingRequests('nobody')).toEqual([]);
      });

      it('releaseAll gives back the sagas whose fence matches, due at once or after the delay', async () => {
        const now = await insert({ ownerId: 'me' });
        const later = await insert({ ownerId: 'me' });
        const stale = await insert({ ownerId: 'me' });
        await store.releaseAll('me', [{ sagaId: now.id, fence: 1 }, { sagaId: stale.id, fence: 5 }]);
        await store.releaseAll('me', [{ sagaId: later.id, fence: 1 }], 10 * 60_000);
        expect((await store.get(now.id))!).toMatchObject({ ownerId: null, leaseExpiresAt: null, fence: 1 });
        expect((await store.get(stale.id))!).toMatchObject({ ownerId: 'me', fence: 1 });
        const laterRec = (await store.get(later.id))!;
        expect(laterRec.ownerId).toBeNull();
        expect(laterRec.nextRunAt!.getTime()).toBeGreaterThan(laterRec.createdAt.getTime() + 9 * 60_000);
        expect(await store.claimDue('other', 100, LEASE)).toMatchObject([{ saga: { id: now.id, fence: 2 }, previousOwner: null }]);
        await store.releaseAll('me', []);
      });
    });

    describe('operator requests', () => {
      it('writes the request and its event when the status is allowed and none waits', async () => {
        const saga = await insert();
        const req = request('pause', 'ops-1');
        const rec = await store.request(saga.id, req, ['RUNNING', 'PENDING'], { type: 'PAUSE_REQUESTED', actor: 'ops-1', reason: 'because' });
        expect(rec).toMatchObject({ id: saga.id, request: req, ownerId: 'me' });
        expect((await store.get(saga.id))!.request).toEqual(req);
        expect((await store.getEvents(saga.id)).map((e) => [e.type, e.actor, e.reason])).toEqual([['PAUSE_REQUESTED', 'ops-1', 'because']]);
      });

      it('refuses a status not allowed, and an unknown saga, writing nothing', async () => {
        const saga = await insert();
        expect(await store.request(saga.id, request('resume'), ['PAUSED'] as SagaStatus[], { type: 'SAGA_RESUMED' })).toBeNull();
        expect((await store.get(saga.id))!.request).toBeNull();
        expect(await store.getEvents(saga.id)).toEqual([]);
        expect(await store.request(crypto.randomUUID(), request('cancel'), ['RUNNING'], null)).toBeNull();
        expect(await store.request('not-a-uuid', request('cancel'), ['RUNNING'], null)).toBeNull();
      });

      it('answers the same request again with the one that waits (writing nothing) and refuses another while one waits', async () => {
        const saga = await insert();
        const first = request('pause', 'ops-1');
        expect((await store.request(saga.id, first, ['RUNNING'], { type: 'PAUSE_REQUESTED', actor: 'ops-1' }))?.request).toEqual(first);
        const again = await Promise.all([2, 3, 4].map((n) => store.request(saga.id, request('pause', `ops-${n}`), ['RUNNING'], { type: 'PAUSE_REQUESTED', actor: `ops-${n}` })));
        expect(again.map((r) => r?.request?.token)).toEqual([first.token, first.token, first.token]);
        expect(await store.request(saga.id, request('cancel', 'ops-5'), ['RUNNING'], { type: 'CANCEL_REQUESTED' })).toBeNull();
        expect((await store.getEvents(saga.id)).map((e) => [e.type, e.actor])).toEqual([['PAUSE_REQUESTED', 'ops-1']]);
        // Applied (cleared by the owner), a new one is written.
        expect((await store.checkpoint(checkpoint(saga.id, { clearRequestToken: first.token }))).ok).toBe(true);
        const next = request('cancel', 'ops-6');
        expect((await store.request(saga.id, next, ['RUNNING'], null))?.request?.token).toBe(next.token);
      });

      it('tells requests of different steps apart', async () => {
        const saga = await insert();
        expect(await store.request(saga.id, request('resolve', 'a', 'step-a'), ['RUNNING'], null)).not.toBeNull();
        expect(await store.request(saga.id, request('resolve', 'b', 'step-b'), ['RUNNING'], null)).toBeNull();
        expect((await store.request(saga.id, request('resolve', 'c', 'step-a'), ['RUNNING'], null))?.request?.actor).toBe('a');
        expect(await store.request(saga.id, request('resolve', 'd', null), ['RUNNING'], null)).toBeNull();
      });

      it('makes the saga due at once when no live owner holds it, not when one does', async () => {
        const paused = await insert();
        expect((await store.checkpoint(checkpoint(paused.id, { status: 'PAUSED', release: true, nextRunInMs: null }))).ok).toBe(true);
        expect(await claimedIds('w')).toEqual([]);
        const owned = await insert();
        const expired = await expiredSaga('gone');
        await store.request(paused.id, request('resume'), ['PAUSED'], null);
        await store.request(owned.id, request('cancel'), ['RUNNING'], null);
        await store.request(expired.id, request('cancel'), ['RUNNING'], null);
        expect((await claimedIds('w')).sort()).toEqual([paused.id, expired.id].sort());
        expect((await store.get(owned.id))!).toMatchObject({ ownerId: 'me', fence: 1 });
      });
    });

    describe('history', () => {
      it('appendEvents adds events in order after the existing ones; getEvents reads them in order with every field', async () => {
        const saga = await insert({}, [{ type: 'SAGA_STARTED' }]);
        await store.appendEvents(saga.id, [
          { type: 'STEP_FAILED', step: 'pay', attempt: 2, actor: 'engine', reason: 'declined', error: { name: 'Error', message: 'declined' } as never, data: { code: 402, tags: [] } },
          { type: 'STEP_RETRY_SCHEDULED', step: 'pay', attempt: 2 },
        ]);
        await store.appendEvents(saga.id, []);
        const events = await store.getEvents(saga.id);
        expect(events.map(({ id: _id, at: _at, ...rest }) => rest)).toEqual([
          { sagaId: saga.id, type: 'SAGA_STARTED', step: null, attempt: null, actor: null, reason: null, error: null, data: null },
          { sagaId: saga.id, type: 'STEP_FAILED', step: 'pay', attempt: 2, actor: 'engine', reason: 'declined', error: { name: 'Error', message: 'declined' }, data: { code: 402, tags: [] } },
          { sagaId: saga.id, type: 'STEP_RETRY_SCHEDULED', step: 'pay', attempt: 2, actor: null, reason: null, error: null, data: null },
        ]);
        expect(new Set(events.map((e) => e.id)).size).toBe(3);
        for (let i = 1; i < events.length; i++) expect(events[i].at.getTime()).toBeGreaterThanOrEqual(events[i - 1].at.getTime());
        expect(await store.getEvents(crypto.randomUUID())).toEqual([]);
        expect(await store.getEvents('not-a-uuid')).toEqual([]);
      });

      it('keeps the histories of sagas apart', async () => {
        const a = await insert({}, [{ type: 'SAGA_STARTED', actor: 'a' }]);
        const b = await insert({}, [{ type: 'SAGA_STARTED', actor: 'b' }]);
        await store.appendEvents(a.id, [{ type: 'STEP_STARTED', actor: 'a' }]);
        expect((await store.getEvents(a.id)).map((e) => e.actor)).toEqual(['a', 'a']);
        expect((await store.getEvents(b.id)).map((e) => e.actor)).toEqual(['b']);
      });
    });

    describe('list', () => {
      async function seed() {
        const orders = [];
        for (let i = 0; i < 4; i++) orders.push(await insert({ name: 'order', idempotencyKey: `order-${i}` }));
        const refund = await insert({ name: 'refund', idempotencyKey: 'refund-1' });
        const done = await insert({ name: 'order', idempotencyKey: 'done-1' });
        expect((await store.checkpoint(settle(done.id))).ok).toBe(true);
        return { orders, refund, done };
      }

      it('lists newest first and filters by status list, name, stuck and idempotency-key prefix or id', async () => {
        const { orders, refund, done } = await seed();
        const ids = async (filter: Parameters<SagaStore['list']>[0]) => (await store.list(filter)).items.map((s) => s.id);
        // Newest first: (created desc, id desc). Sagas started in the same clock tick tie on time, so
        // the expected lists below are the full list's order, filtered.
        const full = await store.list({ limit: 50 });
        expect(new Set(full.items.map((s) => s.id))).toEqual(new Set([done.id, refund.id, ...orders.map((o) => o.id)]));
        for (let i = 1; i < full.items.length; i++) expect(full.items[i].createdAt.getTime()).toBeLessThanOrEqual(full.items[i - 1].createdAt.getTime());
        const inOrder = (...want: string[]) => full.items.map((s) => s.id).filter((id) => want.includes(id));
        expect(await ids({ limit: 50, status: ['COMPLETED'] })).toEqual([done.id]);
        expect(await ids({ limit: 50, status: ['COMPLETED', 'RUNNING'] })).toEqual(inOrder(done.id, refund.id, ...orders.map((o) => o.id)));
        expect(await ids({ limit: 50, status: ['FAILED'] })).toEqual([]);
        expect(await ids({ limit: 50, name: 'refund' })).toEqual([refund.id]);
        expect(await ids({ limit: 50, name: 'order', status: ['RUNNING'] })).toEqual(inOrder(...orders.map((o) => o.id)));
        expect(await ids({ limit: 50, q: 'order-' })).toEqual(inOrder(...orders.map((o) => o.id)));
        expect(await ids({ limit: 50, q: 'order-2' })).toEqual([orders[2].id]);
        expect(await ids({ limit: 50, q: 'ord', status: ['COMPLETED'] })).toEqual([]);
        expect(await ids({ limit: 50, q: refund.id })).toEqual([refund.id]);
        expect(await ids({ limit: 50, q: 'nothing-like-it' })).toEqual([]);
        // A UUID searches by id or by exact key, never as a key prefix.
        const keyedById = await insert({ idempotencyKey: `${refund.id}-copy` });
        expect(await ids({ limit: 50, q: refund.id })).toEqual([refund.id]);
        expect(await ids({ limit: 50, q: `${refund.id}-co` })).toEqual([keyedById.id]);
        expect(await ids({ limit: 50, stuck: true })).toEqual([]);
        await store.markStuck([{ sagaId: orders[1].id, reason: 'NO_PROGRESS', recover: false, event: null }]);
        expect(await ids({ limit: 50, stuck: true })).toEqual([orders[1].id]);
        expect(await ids({ limit: 50, stuck: true, name: 'refund' })).toEqual([]);
      });

      it('pages by cursor with no gap and no duplicate while sagas are started between pages', async () => {
        for (let i = 0; i < 23; i++) await insert({ ownerId: null, status: 'PENDING', idempotencyKey: `p-${i}` });
        // The store's own order ((created desc, id desc); sagas started in one clock tick tie on time).
        const seeded = (await store.list({ limit: 100 })).items.map((s) => s.id).reverse();
        expect(seeded).toHaveLength(23);
        let added = 0;
        for (const filter of [{}, { status: ['PENDING' as SagaStatus] }, { name: 'order' }, { q: 'p-' }]) {
          const seen: string[] = [];
          let cursor: string | undefined;
          let pages = 0;
          do {
            const page = await store.list({ ...filter, limit: 5, cursor });
            seen.push(...page.items.map((s) => s.id));
            cursor = page.nextCursor ?? undefined;
            pages++;
            // Newer sagas arrive while an operator pages: they belong before the first page, never in later ones.
            await insert({ ownerId: null, status: 'PENDING', idempotencyKey: `p-new-${crypto.randomUUID()}` });
            added++;
          } while (cursor && pages < 50);
          expect(new Set(seen).size).toBe(seen.length);
          expect(seen.filter((id) => seeded.includes(id))).toEqual([...seeded].reverse());
        }
        const last = await store.list({ limit: 100 });
        expect(last.items).toHaveLength(23 + added);
        expect(last.nextCursor).toBeNull();
      });

      it('gives no next cursor on the last page, and exactly the limit per page', async () => {
        for (let i = 0; i < 4; i++) await insert();
        const first = await store.list({ limit: 2 });
        expect(first.items).toHaveLength(2);
        expect(first.nextCursor).not.toBeNull();
        const second = await store.list({ limit: 2, cursor: first.nextCursor! });
        expect(second.items).toHaveLength(2);
        expect(second.nextCursor).toBeNull();
        expect((await store.list({ limit: 4 })).nextCursor).toBeNull();
      });

      it('refuses a malformed cursor with a SagaQueryError', async () => {
        await insert();
        for (const cursor of ['garbage', Buffer.from('12:not-an-id').toString('base64url'), Buffer.from('x:y').toString('base64url'), '%%%']) {
          await expect(store.list({ limit: 5, cursor })).rejects.toBeInstanceOf(SagaQueryError);
        }
      });
    });

    describe('statistics and versions', () => {
      it('stats count sagas by status and name, and the stuck ones', async () => {
        const empty = await store.stats();
        expect(empty.total).toBe(0);
        expect(empty.stuck).toBe(0);
        expect(Object.values(empty.byStatus).every((n) => n === 0)).toBe(true);
        const a = await insert({ name: 'order' });
        await insert({ name: 'order' });
        const c = await insert({ name: 'refund', ownerId: null, status: 'PENDING' });
        expect((await store.checkpoint(settle(a.id))).ok).toBe(true);
        await store.markStuck([{ sagaId: c.id, reason: 'NO_PROGRESS', recover: false, event: null }]);
        const stats = await store.stats();
        expect(stats.total).toBe(3);
        expect(stats.stuck).toBe(1);
        expect(stats.byStatus).toMatchObject({ COMPLETED: 1, RUNNING: 1, PENDING: 1, FAILED: 0, PAUSED: 0 });
        expect(stats.byName).toEqual({ order: { COMPLETED: 1, RUNNING: 1 }, refund: { PENDING: 1 } });
      });

      it('runningVersions counts unfinished sagas (FAILED included) by name and version', async () => {
        await insert({ name: 'order', version: 1 });
        await insert({ name: 'order', version: 2 });
        const failed = await insert({ name: 'order', version: 2 });
        const done = await insert({ name: 'order', version: 3 });
        expect((await store.checkpoint(settle(failed.id, { status: 'FAILED', finished: false, release: true }))).ok).toBe(true);
        expect((await store.checkpoint(settle(done.id))).ok).toBe(true);
        const rows = (await store.runningVersions()).sort((x, y) => x.version - y.version);
        expect(rows).toEqual([
          { name: 'order', version: 1, running: 1 },
          { name: 'order', version: 2, running: 2 },
        ]);
      });
    });

    describe('stuck detection', () => {
      it('findStuckCandidates returns unfinished sagas idle longer than asked, with the store clock; never finished ones', async () => {
        const idle = await insert();
        const done = await insert();
        expect((await store.checkpoint(settle(done.id))).ok).toBe(true);
        expect(await store.findStuckCandidates(60 * 60_000)).toEqual([]);
        await expect.poll(async () => (await store.findStuckCandidates(0)).map((c) => c.saga.id)).toEqual([idle.id]);
        const [candidate] = await store.findStuckCandidates(0);
        expect(candidate.now).toBeInstanceOf(Date);
        expect(candidate.now.getTime()).toBeGreaterThanOrEqual(candidate.saga.updatedAt.getTime());
      });

      it('findStuckCandidates returns sagas past their deadline (not paused ones) and sagas marked stuck', async () => {
        const late = await insert({ deadlineMs: 1 });
        const pausedLate = await insert({ deadlineMs: 1 });
        expect((await store.checkpoint(checkpoint(pausedLate.id, { status: 'PAUSED', release: true }))).ok).toBe(true);
        const marked = await insert();
        await store.markStuck([{ sagaId: marked.id, reason: 'LEASE_EXPIRED', recover: false, event: null }]);
        await expect.poll(async () => (await store.findStuckCandidates(60 * 60_000)).map((c) => c.saga.id).sort()).toEqual([late.id, marked.id].sort());
      });

      it('markStuck marks (once in history per reason), recovers when asked, and clears every saga not marked', async () => {
        const a = await insert({ ownerId: null });
        expect(await claimedIds('w')).toEqual([a.id]);
        const b = await insert();
        const event = (reason: string): NewSagaEvent => ({ type: 'STUCK_DETECTED', reason });
        await store.markStuck([{ sagaId: a.id, reason: 'NO_PROGRESS', recover: false, event: event('NO_PROGRESS') }]);
        const first = (await store.get(a.id))!;
        expect(first).toMatchObject({ stuckReason: 'NO_PROGRESS' });
        expect(first.stuckSince).not.toBeNull();
        // Marked again with the same reason: same since, no second event; another reason: a new event.
        await store.markStuck([{ sagaId: a.id, reason: 'NO_PROGRESS', recover: false, event: event('NO_PROGRESS') }]);
        expect((await store.get(a.id))!.stuckSince).toEqual(first.stuckSince);
        await store.markStuck([{ sagaId: a.id, reason: 'LEASE_EXPIRED', recover: false, event: event('LEASE_EXPIRED') }, { sagaId: b.id, reason: 'NO_PROGRESS', recover: false, event: null }]);
        expect((await store.getEvents(a.id)).map((e) => [e.type, e.reason])).toEqual([
          ['STUCK_DETECTED', 'NO_PROGRESS'],
          ['STUCK_DETECTED', 'LEASE_EXPIRED'],
        ]);
        expect((await store.get(a.id))!).toMatchObject({ stuckReason: 'LEASE_EXPIRED', stuckSince: first.stuckSince });
        // Only b marked now: a is cleared.
        await store.markStuck([{ sagaId: b.id, reason: 'NO_PROGRESS', recover: false, event: null }]);
        expect((await store.get(a.id))!).toMatchObject({ stuckSince: null, stuckReason: null });
        expect((await store.stats()).stuck).toBe(1);
        await store.markStuck([]);
        expect((await store.get(b.id))!).toMatchObject({ stuckSince: null, stuckReason: null });
        expect((await store.stats()).stuck).toBe(0);
      });

      it('markStuck with recover makes an unowned saga due at once', async () => {
        const saga = await insert();
        expect((await store.checkpoint(checkpoint(saga.id, { release: true, nextRunInMs: 60 * 60_000 }))).ok).toBe(true);
        expect(await claimedIds('w')).toEqual([]);
        await store.markStuck([{ sagaId: saga.id, reason: 'RETRY_OVERDUE', recover: true, event: null }]);
        expect(await claimedIds('w')).toEqual([saga.id]);
      });

      it('a checkpoint clears a stuck mark, except a passed deadline while the saga is unfinished', async () => {
        const saga = await insert();
        await store.markStuck([{ sagaId: saga.id, reason: 'NO_PROGRESS', recover: false, event: null }]);
        expect((await store.checkpoint(checkpoint(saga.id))).ok).toBe(true);
        expect((await store.get(saga.id))!.stuckReason).toBeNull();
        await store.markStuck([{ sagaId: saga.id, reason: 'DEADLINE_PASSED', recover: false, event: null }]);
        expect((await store.checkpoint(checkpoint(saga.id))).ok).toBe(true);
        expect((await store.get(saga.id))!.stuckReason).toBe('DEADLINE_PASSED');
        expect((await store.checkpoint(settle(saga.id))).ok).toBe(true);
        expect((await store.get(saga.id))!.stuckReason).toBeNull();
      });
    });

    describe('retention (stores that have it)', () => {
      it('deletes finished, unowned sagas past the cutoff with their history, at most batchSize, never unfinished or FAILED ones', async (ctx) => {
        if (!target.retention) return ctx.skip();
        const retention = target.retention();
        const finished = [];
        for (let i = 0; i < 3; i++) {
          const saga = await insert({}, [{ type: 'SAGA_STARTED' }]);
          expect((await store.checkpoint(settle(saga.id))).ok).toBe(true);
          finished.push(saga.id);
        }
        const running = await insert({}, [{ type: 'SAGA_STARTED' }]);
        const failed = await insert();
        expect((await store.checkpoint(settle(failed.id, { status: 'FAILED', finished: false }))).ok).toBe(true);
        const lastFinished = (await store.get(finished[2]))!;
        expect((await retention.deleteFinishedSagas(60 * 60_000, 100)).sagas).toEqual([]);
        await expect.poll(() => Date.now() > lastFinished.finishedAt!.getTime() + 5).toBe(true);
        const first = await retention.deleteFinishedSagas(1, 2);
        expect(first.sagas).toHaveLength(2);
        const second = await retention.deleteFinishedSagas(1, 2);
        expect([...first.sagas, ...second.sagas].map((s) => s.id).sort()).toEqual([...finished].sort());
        expect(first.events + second.events).toBe(6);
        for (const id of finished) {
          expect(await store.get(id)).toBeNull();
          expect(await store.getEvents(id)).toEqual([]);
        }
        expect((await retention.deleteFinishedSagas(1, 100)).sagas).toEqual([]);
        expect((await store.list({ limit: 50 })).items.map((s) => s.id).sort()).toEqual([running.id, failed.id].sort());
        expect((await store.stats()).total).toBe(2);
        expect(await store.getEvents(running.id)).toHaveLength(1);
      });
    });

    it('ping answers while the store is reachable', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
