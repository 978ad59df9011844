/**
 * The list, search, stuck and claim queries stay index scans on a table of real size: on a seeded
 * table (analyzed, as autovacuum keeps it), none of them reads `saga_instances` sequentially.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../testing/test-database.js';
import { PostgresSagaStore, sagaMigrations } from '../src/index.js';

let db: TestDatabase;
let pool: pg.Pool;
const recorded: { text: string; values?: unknown[] }[] = [];
let store: PostgresSagaStore;

beforeAll(async () => {
  db = await createTestDatabase('saga_plans');
  pool = new pg.Pool({ connectionString: db.url });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  for (const Migration of sagaMigrations) await new Migration().up({ query: (q: string) => pool.query(q) } as any);
  // 60,000 finished sagas of four names over a year, and a few live ones.
  await pool.query(`
    INSERT INTO saga_instances (id, name, definition_version, status, input, current_step, idempotency_key, fence, steps, created_at, updated_at, finished_at, next_run_at)
    SELECT gen_random_uuid(), (ARRAY['order', 'refund', 'signup', 'invoice'])[1 + i % 4], 1,
           CASE WHEN i % 500 = 0 THEN 'RUNNING' WHEN i % 10 = 1 THEN 'COMPENSATED' ELSE 'COMPLETED' END,
           jsonb_build_object('n', i), 4, 'key-' || i, 1, '[]'::jsonb,
           now() - interval '365 days' + (i / 60000.0) * interval '364 days', now(),
           CASE WHEN i % 500 = 0 THEN NULL ELSE now() END,
           CASE WHEN i % 500 = 0 THEN now() - interval '1 minute' ELSE NULL END
    FROM generate_series(1, 60000) AS i`);
  await pool.query('ANALYZE saga_instances');
  store = new PostgresSagaStore({
    query: (text: string, values?: unknown[]) => {
      recorded.push({ text, values });
      return pool.query(text, values);
    },
  } as never);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

/** The plan of the last statement the store ran, as PostgreSQL would execute it. */
async function planOfLast(): Promise<string> {
  const last = recorded[recorded.length - 1];
  const { rows } = await pool.query(`EXPLAIN ${last.text}`, last.values);
  return rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n');
}

describe('query plans on a seeded table', () => {
  it.each([
    ['the first page', {}],
    ['a status filter', { status: ['COMPENSATED'] }],
    ['a name filter', { name: 'refund' }],
    ['a search by idempotency key (or a prefix of it)', { q: 'key-31415' }],
    ['a search by id', { q: '6f1c2a52-3b1e-4c55-9a7e-0d6a3c9b8e21' }],
    ['stuck sagas', { stuck: true }],
  ])('lists %s with an index, no sequential scan', async (_what, filter) => {
    await store.list({ limit: 50, ...(filter as object) });
    const plan = await planOfLast();
    expect(plan).not.toMatch(/Seq Scan on saga_instances/);
    expect(plan).toMatch(/Index/);
  });

  it('lists a deep page by its cursor with an index', async () => {
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) cursor = (await store.list({ limit: 500, ...(cursor ? { cursor } : {}) })).nextCursor;
    expect(cursor).not.toBeNull();
    await store.list({ limit: 50, cursor: cursor! });
    expect(await planOfLast()).not.toMatch(/Seq Scan on saga_instances/);
  });

  it('claims due sagas with an index', async () => {
    const claimed = await store.claimDue('planner', 10, 30_000);
    expect(claimed.length).toBeGreaterThan(0);
    const claim = recorded.filter((r) => /SKIP LOCKED/i.test(r.text)).at(-1)!;
    const { rows } = await pool.query(`EXPLAIN ${claim.text}`, claim.values);
    expect(rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n')).not.toMatch(/Seq Scan on saga_instances/);
  });
});

describe('stats on a seeded table', () => {
  it('counts every saga by name and status, finished ones included', async () => {
    const { rows } = await pool.query(`SELECT status, count(*)::int AS n FROM saga_instances GROUP BY status`);
    const stats = await store.stats();
    for (const row of rows) expect(stats.byStatus[row.status as 'COMPLETED'], row.status).toBe(row.n);
    expect(stats.total).toBe(rows.reduce((sum: number, r: { n: number }) => sum + r.n, 0));
    expect(stats.byName.refund?.COMPLETED).toBeGreaterThan(0);
  });

  it('counts a table of this size in one statement, so every count is of the same moment', async () => {
    const from = recorded.length;
    await store.stats();
    expect(recorded.slice(from).map((r) => r.text).filter((t) => /FROM saga_instances/.test(t))).toHaveLength(1);
  });

  it('on a large table, counts unfinished sagas through an index beside a snapshot of the finished ones', async () => {
    // The planner's row estimate is what makes a table large for the store (over 200,000 rows).
    await pool.query(`UPDATE pg_class SET reltuples = 1000000 WHERE oid = 'saga_instances'::regclass`);
    const large = new PostgresSagaStore({
      query: (text: string, values?: unknown[]) => {
        recorded.push({ text, values });
        return pool.query(text, values);
      },
    } as never);
    const { rows: counts } = await pool.query(`SELECT status, count(*)::int AS n FROM saga_instances GROUP BY status`);
    const first = await large.stats();
    const from = recorded.length;
    const again = await large.stats();
    for (const stats of [first, again]) for (const row of counts) expect(stats.byStatus[row.status as 'COMPLETED'], row.status).toBe(row.n);
    const statements = recorded.slice(from).map((r) => r);
    const active = statements.find((r) => /GROUP BY name, status/.test(r.text) && /status NOT IN \(/.test(r.text));
    expect(active, statements.map((r) => r.text).join('\n')).toBeDefined();
    expect(statements.filter((r) => /status IN \(/.test(r.text) && !/NOT IN/.test(r.text))).toEqual([]);
    const { rows } = await pool.query(`EXPLAIN ${active!.text}`, active!.values);
    expect(rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join('\n')).not.toMatch(/Seq Scan on saga_instances/);
  });
});
