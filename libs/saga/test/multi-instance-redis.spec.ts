/**
 * Several app instances (child processes) sharing the sagas of one Redis: they share the work with
 * one owner at a time, and take over the sagas of an instance killed with SIGKILL. The steps log
 * their attempts in a PostgreSQL table (as in multi-instance.spec.ts); the sagas live in Redis.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import type { SagaRecord } from '../src/lib/persistence/saga.records.js';
import { RedisSagaStore } from '../src/redis/index.js';
import { until } from './support/saga-app.js';
import { prepareAttemptLog, startWorker, stopWorker, withClient, type Worker } from './support/processes.js';
import { deleteRedisPrefix, randomRedisPrefix, TEST_REDIS_URL } from './support/redis.js';

let workers: Worker[] = [];
const databases: TestDatabase[] = [];
const stores: RedisSagaStore[] = [];

afterEach(async () => {
  for (const w of workers) await stopWorker(w, 'SIGKILL');
  workers = [];
});

afterAll(async () => {
  for (const db of databases) await db.drop();
  for (const store of stores) {
    await store.close();
    await deleteRedisPrefix(store.keyPrefix);
  }
});

interface Setup {
  url: string;
  store: RedisSagaStore;
  env: Record<string, string>;
}

async function fresh(): Promise<Setup> {
  const db = await createTestDatabase('saga_multi_redis');
  databases.push(db);
  await prepareAttemptLog(db.url);
  const prefix = randomRedisPrefix('multi');
  const store = new RedisSagaStore({ url: TEST_REDIS_URL, keyPrefix: prefix });
  stores.push(store);
  return { url: db.url, store, env: { STORE: 'redis', REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, ...WORKER_ENV } };
}

/** As in multi-instance.spec.ts: leases no starved event loop lets expire by accident. */
const LEASE_MS = 30_000;
const WORKER_ENV = { LEASE_MS: String(LEASE_MS), POLL_MS: '50', CONCURRENCY: '20' };
const VICTIM_LEASE_MS = 8_000;
const FINISH_MS = 180_000;

async function allSagas(store: RedisSagaStore): Promise<SagaRecord[]> {
  const out: SagaRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ limit: 500, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

async function histories(store: RedisSagaStore) {
  const sagas = await allSagas(store);
  return (await Promise.all(sagas.map((s) => store.getEvents(s.id)))).flat();
}

const waitAllCompleted = (store: RedisSagaStore, total: number, timeoutMs = FINISH_MS) =>
  until(() => store.stats(), (s) => s.byStatus.COMPLETED === total, `${total} sagas COMPLETED`, timeoutMs);

interface AttemptRow {
  saga_id: string;
  step: string;
  phase: string;
  attempt: number;
  instance: string;
  started_at: Date;
  finished_at: Date | null;
}

async function attempts(url: string): Promise<AttemptRow[]> {
  return (await withClient(url, (c) => c.query(`SELECT saga_id, step, phase, attempt, instance, started_at, finished_at FROM test_attempts ORDER BY started_at`))).rows;
}

async function takenOver(store: RedisSagaStore, previousOwner?: string): Promise<Set<string>> {
  const events = (await histories(store)).filter((e) => e.type === 'LEASE_TAKEN_OVER' && (!previousOwner || e.data?.previousOwner === previousOwner));
  return new Set(events.map((e) => e.sagaId));
}

/** While a lease is held, each step runs once, to the end, and no two attempts of a saga overlap (see multi-instance.spec.ts). */
function ownershipViolations(rows: AttemptRow[], exempt: Set<string>): string[] {
  const bySaga = new Map<string, AttemptRow[]>();
  for (const r of rows) if (!exempt.has(r.saga_id)) bySaga.set(r.saga_id, [...(bySaga.get(r.saga_id) ?? []), r]);
  const problems: string[] = [];
  for (const [sagaId, list] of bySaga) {
    const steps = list.map((a) => a.step);
    if (new Set(steps).size !== steps.length) problems.push(`${sagaId}: a step ran twice while the lease was held: ${steps.join(', ')}`);
    for (let i = 0; i < list.length; i++) {
      const a = list[i];
      if (a.finished_at === null) problems.push(`${sagaId}: ${a.step}#${a.attempt}@${a.instance} never finished`);
      const prev = list[i - 1];
      if (prev?.finished_at && prev.finished_at > a.started_at) problems.push(`${sagaId}: ${prev.step}#${prev.attempt}@${prev.instance} overlaps ${a.step}#${a.attempt}@${a.instance}`);
    }
  }
  return problems;
}

/** Each step's success stored once; no step started again after its success was stored. */
async function successChecks(store: RedisSagaStore, url: string) {
  const events = (await histories(store)).filter((e) => e.type === 'STEP_SUCCEEDED');
  const perStep = new Map<string, number>();
  const successAt = new Map<string, number>();
  for (const e of events) {
    const key = `${e.sagaId}:${e.step}`;
    perStep.set(key, (perStep.get(key) ?? 0) + 1);
    successAt.set(key, Math.min(successAt.get(key) ?? Infinity, e.at.getTime()));
  }
  const rows = await attempts(url);
  const reruns = rows.filter((a) => a.phase === 'execute' && a.started_at.getTime() > (successAt.get(`${a.saga_id}:${a.step}`) ?? Infinity));
  return { successesPerStep: [...new Set(perStep.values())], reruns };
}

describe('several app instances on one Redis', () => {
  it('share 300 sagas: all finish, one owner at a time, every instance does some of the work', { timeout: FINISH_MS + 120_000 }, async () => {
    const { url, store, env } = await fresh();
    workers.push(await startWorker(url, 'node-b', env), await startWorker(url, 'node-c', env));
    workers.push(await startWorker(url, 'node-a', { ...env, START_SAGAS: '300', START_INPUT: 'random', MAX_DELAY_MS: '30' }));
    await waitAllCompleted(store, 300);

    const rows = await attempts(url);
    const expired = await takenOver(store);
    expect(expired.size).toBeLessThan(30);
    expect(ownershipViolations(rows, expired)).toEqual([]);
    expect(rows.filter((r) => !expired.has(r.saga_id))).toHaveLength((300 - expired.size) * 4);
    expect(await successChecks(store, url)).toEqual({ successesPerStep: [1], reruns: [] });
    const perInstance = new Map<string, number>();
    for (const r of rows) perInstance.set(r.instance, (perInstance.get(r.instance) ?? 0) + 1);
    expect([...perInstance.keys()].sort()).toEqual(['node-a', 'node-b', 'node-c']);
    for (const n of perInstance.values()) expect(n).toBeGreaterThan(20);
    expect((await allSagas(store)).filter((s) => s.ownerId !== null)).toEqual([]);
  });

  it('takes over the sagas of an instance killed with SIGKILL; no finished step runs again', { timeout: FINISH_MS + VICTIM_LEASE_MS + 120_000 }, async () => {
    const { url, store, env } = await fresh();
    workers.push(await startWorker(url, 'node-survivor', env));
    const victim = await startWorker(url, 'node-victim', {
      ...env,
      LEASE_MS: String(VICTIM_LEASE_MS),
      SLOW_MS: '3000',
      START_SAGAS: '150',
      START_INPUT: JSON.stringify({ delays: { 'work-1': 40, 'work-2': 60, 'work-3': 40, 'work-4': 40 } }),
    });
    workers.push(victim);
    // In the middle of steps of sagas it owns now.
    const ownedMidStep = async () => {
      const open = await withClient(url, (c) => c.query(`SELECT DISTINCT saga_id FROM test_attempts WHERE instance = 'node-victim' AND finished_at IS NULL`));
      const sagas = await Promise.all(open.rows.map((r) => store.get(r.saga_id)));
      return sagas.filter((s) => s?.ownerId === 'node-victim' && s.status === 'RUNNING');
    };
    await until(ownedMidStep, (s) => s.length > 0, 'the victim to be in the middle of steps', FINISH_MS);
    await stopWorker(victim, 'SIGKILL');
    const orphans = (await allSagas(store)).filter((s) => s.ownerId === 'node-victim' && s.finishedAt === null).map((s) => s.id);
    expect(orphans.length).toBeGreaterThan(0);
    await waitAllCompleted(store, 150, VICTIM_LEASE_MS + FINISH_MS);

    const fromVictim = await takenOver(store, 'node-victim');
    expect(orphans.filter((id) => !fromVictim.has(id))).toEqual([]);
    expect(await successChecks(store, url)).toEqual({ successesPerStep: [1], reruns: [] });
    expect(ownershipViolations(await attempts(url), await takenOver(store))).toEqual([]);
  });
});
