/**
 * `npm run bench -- --sagas N --concurrency C [--fail-rate R] [--steps S] [--warmup W] [--write | --transactional] [--store postgres|redis] [--no-prepared] [--preload N] [--no-effects K]`
 *
 * Runs N sagas of the demo's shape (S steps of trivial work; with --fail-rate that share fails at
 * step 3 and compensates steps 2 and 1) through the real SagaModule on DATABASE_URL (in a database
 * of its own, dropped afterwards) or on the embedded database, C in flight, after a warm-up. With
 * --write each step also inserts one row through the DataSource (its own autocommit statement);
 * with --transactional the steps are transactional and insert that row through `ctx.manager`.
 * Prints a table, then one JSON line with the figures. Statements are counted at the driver;
 * commits come from pg_stat_database (PostgreSQL server) or equal the statements (embedded,
 * where every statement is its own transaction). `commitMs` is a single-row autocommit insert's
 * latency on the same server and pool, measured before the run; `floorMs` = (S + 1) × commitMs is
 * what a lone saga cannot beat, and `p50ToFloor` says how far the p50 is from it. With
 * --no-effects K the K steps after the first are registered with `effects: 'none'`: a lone saga
 * then needs S + 1 − K durable writes, and `floorMs` counts those.
 *
 * `--store redis` runs the same sagas on RedisSagaStore (REDIS_URL, default redis://127.0.0.1:6379,
 * under a key prefix of its own, deleted afterwards). There a "commit" is one Redis command or
 * script (each is applied atomically), so commits and statements per saga are the commands per
 * saga, and `commitMs` is the p50 latency of a one-key SET on the same connection's server.
 *
 * Memory: `idleRssMb` (after boot), `peakRssMb` (sampled from the warm-up to the end), `rssMb` (at
 * the end) and `heapUsedMb`. At the default heap size V8's heap sizing sets the peak; the memory
 * figures of docs/benchmarks.md ("Memory") are also given under
 * `node --max-old-space-size=256 --max-semi-space-size=2`, and `nodeFlags` records a run's flags.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger, Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import {
  NonRetryableStepError,
  SagaModule,
  SagaRegistry,
  SagaService,
  SagaStep,
  sagaEntities,
  sagaMigrations,
  type SagaLifecycleEvent,
  type SagaStore,
  type StepContext,
} from '@nest-saga/saga';

const { values } = parseArgs({
  options: {
    sagas: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    'fail-rate': { type: 'string', default: '0' },
    steps: { type: 'string', default: '4' },
    warmup: { type: 'string' },
    'keep-db': { type: 'boolean', default: false },
    preload: { type: 'string', default: '0' },
    write: { type: 'boolean', default: false },
    transactional: { type: 'boolean', default: false },
    store: { type: 'string', default: 'postgres' },
    'no-prepared': { type: 'boolean', default: false },
    'no-effects': { type: 'string', default: '0' },
  },
  allowPositionals: true,
});

const N = Number(values.sagas);
const C = Number(values.concurrency);
const FAIL_RATE = Number(values['fail-rate']);
const S = Number(values.steps);
const PRELOAD = Number(values.preload);
const TRANSACTIONAL = values.transactional === true;
/** Steps 2 to K + 1 have no effect outside the process (`effects: 'none'`). */
const NO_EFFECTS = Number(values['no-effects']);
const WRITE = values.write === true || TRANSACTIONAL;
/** Where --write steps insert (set once the app is up). */
let writeThrough: { query(text: string, params: unknown[]): Promise<unknown> } | null = null;
const WARMUP = values.warmup !== undefined ? Number(values.warmup) : Math.min(200, Math.max(20, Math.floor(N / 10)));
for (const [name, v, min] of [['sagas', N, 1], ['concurrency', C, 1], ['steps', S, 1], ['warmup', WARMUP, 0], ['preload', PRELOAD, 0]] as const) {
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min} (got ${v})`);
}
if (!(FAIL_RATE >= 0 && FAIL_RATE <= 1)) throw new Error(`--fail-rate must be between 0 and 1 (got ${FAIL_RATE})`);
const STORE = values.store;
if (STORE !== 'postgres' && STORE !== 'redis') throw new Error(`--store must be postgres or redis (got ${STORE})`);
if (STORE === 'redis' && PRELOAD > 0) throw new Error('--preload writes SQL: it needs --store postgres');
if (!Number.isInteger(NO_EFFECTS) || NO_EFFECTS < 0 || NO_EFFECTS > S - 1) throw new Error(`--no-effects must be an integer from 0 to ${S - 1} (the steps after the first)`);
if (NO_EFFECTS > 0 && WRITE) throw new Error('--no-effects steps write nothing: it cannot go with --write or --transactional');
if (STORE === 'redis' && WRITE) throw new Error('--write and --transactional write rows in PostgreSQL: they need --store postgres');
if (FAIL_RATE > 0 && S < 3) throw new Error('--fail-rate needs --steps of at least 3 (the failing step is step 3)');

/** A saga still in flight this long after its start fails the run. */
const SAGA_DEADLINE_MS = 30_000;

interface BenchInput {
  n: number;
  fail?: boolean;
}

function makeSteps(count: number): Provider[] {
  const classes: Provider[] = [];
  for (let i = 1; i <= count; i++) {
    const Step = class {
      async execute(input: BenchInput, ctx: StepContext) {
        if (WRITE) {
          await (TRANSACTIONAL ? ctx.manager : writeThrough!).query(`INSERT INTO bench_rows (saga_id, step) VALUES ($1, $2)`, [ctx.sagaId, i]);
        }
        if (input.fail && ctx.stepIndex === 2) throw new NonRetryableStepError('simulated failure');
        return { step: i, n: input.n };
      }
      compensate() {
        return undefined;
      }
    };
    Object.defineProperty(Step, 'name', { value: `BenchStep${i}` });
    const effects = i >= 2 && i <= NO_EFFECTS + 1 ? 'none' : 'external';
    SagaStep(`bench-${i}`, { retry: { maxAttempts: 1 }, timeoutMs: 30_000, transactional: TRANSACTIONAL, effects })(Step);
    classes.push(Step);
  }
  return classes;
}

/**
 * Counts every statement sent on any pg connection (the saga store's shared ones, the transactions
 * of transactional steps, and anything else): one per round trip. Also times them: the time at
 * least one is in flight (overlapping statements count once), so a run splits into time spent in
 * PostgreSQL and the wire and time spent elsewhere (the engine, timers, the event loop), and each
 * kind of statement's p50.
 */
function countStatements(): { count: () => number; busyMs: () => number; byKind: () => Record<string, { count: number; p50Ms: number }>; reset: () => void } {
  let n = 0;
  let inFlight = 0;
  let busySince = 0;
  let busy = 0;
  let times = new Map<string, number[]>();
  const timer = (kind: string) => {
    const t0 = performance.now();
    if (inFlight++ === 0) busySince = t0;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const end = performance.now();
      if (--inFlight === 0) busy += end - busySince;
      let list = times.get(kind);
      if (!list) times.set(kind, (list = []));
      list.push(end - t0);
    };
  };
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    n++;
    const finish = timer(statementKind(args[0]));
    // The pool calls with a callback; TypeORM and our probes await the promise.
    const last = args.length > 1 ? args[args.length - 1] : undefined;
    if (typeof last === 'function') {
      args[args.length - 1] = function (this: unknown, ...cbArgs: unknown[]) {
        finish();
        return (last as (...a: unknown[]) => unknown).apply(this, cbArgs);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(finish, finish);
    else finish();
    return result;
  };
  return {
    count: () => n,
    busyMs: () => busy + (inFlight > 0 ? performance.now() - busySince : 0),
    byKind: () =>
      Object.fromEntries(
        [...times].map(([kind, list]) => [kind, { count: list.length, p50Ms: Math.round(percentile([...list].sort((a, b) => a - b), 50) * 1000) / 1000 }]),
      ),
    reset: () => (times = new Map()),
  };
}

/** What a statement does, from its text: a start, a checkpoint, a claim, a lease renewal, a COMMIT, or something else. */
function statementKind(query: unknown): string {
  const text = typeof query === 'string' ? query : typeof (query as { text?: unknown })?.text === 'string' ? (query as { text: string }).text : '';
  if (/INSERT INTO saga_instances/.test(text)) return 'start';
  if (/UPDATE saga_instances s? ?SET\s+status/.test(text)) return 'checkpoint';
  if (/FOR UPDATE SKIP LOCKED/.test(text)) return 'claim';
  if (/lease_expires_at = now\(\)/.test(text)) return 'lease';
  if (text === 'COMMIT') return 'commit';
  return 'other';
}

/**
 * The latency of one durable commit on this server through this pool: the p50 of single-row
 * autocommit inserts, one at a time. A lone saga of S steps needs S + 1 of them (the start and one
 * checkpoint per step), which makes its floor.
 */
async function measureCommitMs(pool: pg.Pool, runs = 300): Promise<number> {
  await pool.query('CREATE TABLE IF NOT EXISTS bench_commit_probe (id bigserial PRIMARY KEY, v int NOT NULL)');
  const times: number[] = [];
  for (let i = 0; i < runs + 20; i++) {
    const t = performance.now();
    await pool.query('INSERT INTO bench_commit_probe (v) VALUES ($1)', [i]);
    if (i >= 20) times.push(performance.now() - t);
  }
  await pool.query('DROP TABLE bench_commit_probe');
  times.sort((a, b) => a - b);
  return percentile(times, 50);
}

function toMb(bytes: number): number {
  return Math.round(bytes / 1024 / 1024);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * `--preload N`: N finished sagas of four names with five history rows each, written in SQL in
 * chunks (about half a minute for a million), spread over the past year, as a long-running app
 * would hold them: ids time-ordered (UUIDv7 from the start time), as the engine makes them.
 */
async function preload(url: string, total: number): Promise<number> {
  const t0 = performance.now();
  const chunk = 100_000;
  await withClient(url, async (c) => {
    for (let from = 1; from <= total; from += chunk) {
      const to = Math.min(total, from + chunk - 1);
      await c.query(
        `WITH s AS (
           INSERT INTO saga_instances (id, name, definition_version, status, input, current_step, idempotency_key, fence, steps,
                                       created_at, updated_at, finished_at)
           SELECT (lpad(to_hex((extract(epoch FROM t.at) * 1000)::bigint), 12, '0') || '7' || substr(md5(i::text), 1, 3) || '8' || substr(md5(i::text), 4, 15))::uuid,
                  (ARRAY['order', 'refund', 'signup', 'invoice'])[1 + i % 4], 1,
                  CASE WHEN i % 20 = 0 THEN 'CANCELLED' WHEN i % 10 = 1 THEN 'COMPENSATED' WHEN i % 50 = 7 THEN 'FAILED' ELSE 'COMPLETED' END,
                  jsonb_build_object('orderId', 'pre-' || i, 'amount', i % 1000), 4, 'pre-' || i, 1,
                  '[{"name":"a","status":"COMPLETED","attempts":1},{"name":"b","status":"COMPLETED","attempts":1},{"name":"c","status":"COMPLETED","attempts":1},{"name":"d","status":"COMPLETED","attempts":1}]'::jsonb,
                  t.at, t.at + interval '1 second', t.at + interval '1 second'
           FROM generate_series($1::int, $2::int) AS i,
                LATERAL (SELECT now() - interval '365 days' + (i::double precision / $3) * interval '364 days' AS at) AS t
           RETURNING id, created_at)
         INSERT INTO saga_events (saga_id, at, type, step, attempt)
         SELECT s.id, s.created_at, e.type, e.step, e.attempt FROM s
         CROSS JOIN (VALUES ('SAGA_STARTED', NULL, NULL), ('STEP_SUCCEEDED', 'a', 1), ('STEP_SUCCEEDED', 'b', 1),
                            ('STEP_SUCCEEDED', 'c', 1), ('SAGA_COMPLETED', NULL, NULL)) AS e(type, step, attempt)`,
        [from, to, total],
      );
    }
    await c.query('VACUUM ANALYZE saga_instances');
    await c.query('VACUUM ANALYZE saga_events');
    // Flush the load's dirty pages now, as a long-running database would have long since; otherwise
    // the run below pays for the load's checkpoint. Needs a superuser or pg_checkpoint: skipped if refused.
    await c.query('CHECKPOINT').catch(() => undefined);
  });
  return (performance.now() - t0) / 1000;
}

/** p50 in ms of `fn` over `runs` calls, after one call to warm caches. */
async function p50Of(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return Math.round(percentile(times, 50) * 100) / 100;
}

interface Meter {
  count: () => number;
  busyMs: () => number;
  /** Each kind of statement, counted and timed (PostgreSQL only). */
  byKind?: () => Record<string, { count: number; p50Ms: number }>;
  reset?: () => void;
}

/** The Redis side of a run: the store, a meter of its commands, the latency of one write, and cleanup. */
async function openRedis(): Promise<{ store: SagaStore; meter: () => Meter; commitMs: () => Promise<number>; database: string; cleanup: () => Promise<void> }> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `saga-bench:${Date.now().toString(36)}`;
  const { RedisSagaStore } = await import('@nest-saga/saga/redis');
  const { createClient } = await import('redis');
  const store = new RedisSagaStore({ url: redisUrl, keyPrefix: prefix });
  const client = createClient({ url: redisUrl });
  client.on('error', () => undefined);
  await client.connect();
  const info = String(await client.sendCommand(['INFO', 'server']));
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
  const persistence = String(await client.sendCommand(['INFO', 'persistence']));
  const aof = /aof_enabled:1/.test(persistence) ? 'appendonly yes' : 'appendonly no';
  return {
    store,
    database: `Redis ${version} (${new URL(redisUrl).host}, ${aof})`,
    // Every command and script the store sends, and the time at least one is in flight.
    meter: () => {
      let inFlight = 0;
      let busySince = 0;
      let busy = 0;
      const target = store as unknown as { send: (args: unknown[]) => Promise<unknown>; commands: number };
      const original = target.send.bind(store);
      target.send = (args) => {
        if (inFlight++ === 0) busySince = performance.now();
        const done = () => {
          if (--inFlight === 0) busy += performance.now() - busySince;
        };
        const result = original(args);
        result.then(done, done);
        return result;
      };
      return { count: () => target.commands, busyMs: () => busy + (inFlight > 0 ? performance.now() - busySince : 0) };
    },
    commitMs: async () => {
      const times: number[] = [];
      for (let i = 0; i < 320; i++) {
        const t = performance.now();
        await client.sendCommand(['SET', `${prefix}:probe`, String(i)]);
        if (i >= 20) times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return percentile(times, 50);
    },
    cleanup: async () => {
      let cursor = '0';
      do {
        const [next, keys] = (await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}:*`, 'COUNT', '1000'])) as [string, string[]];
        cursor = next;
        if (keys.length) await client.sendCommand(['UNLINK', ...keys]);
      } while (cursor !== '0');
      await client.close();
    },
  };
}

async function main() {
  const redis = STORE === 'redis' ? await openRedis() : null;
  const serverUrl = process.env.DATABASE_URL;
  let url = '';
  let cleanup: () => Promise<void>;
  let database: string;
  if (redis) {
    database = redis.database;
    cleanup = redis.cleanup;
  } else if (serverUrl) {
    const name = `saga_bench_${Date.now().toString(36)}`;
    await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    const version = await withClient(url, (c) => c.query(`SHOW server_version`)).then((r) => r.rows[0].server_version as string);
    database = `PostgreSQL ${version} (${u.host})`;
    cleanup = async () => {
      if (!values['keep-db']) await withClient(serverUrl, (c) => c.query(`DROP DATABASE ${name} WITH (FORCE)`));
    };
  } else {
    // PGlite (PostgreSQL in WASM) is loaded only for an embedded run: a run on a server never pays for it.
    const { startEmbeddedPostgres } = await import('../database/embedded-postgres.js');
    const dir = mkdtempSync(join(tmpdir(), 'saga-bench-'));
    const embedded = await startEmbeddedPostgres(dir);
    url = embedded.url;
    database = 'embedded PGlite';
    cleanup = async () => {
      await embedded.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }

  // A run that fails still drops its database (or Redis keys, or embedded directory) on the way out.
  dropOnFailure = cleanup;

  const steps = makeSteps(S);
  const typeorm = redis
    ? []
    : [
        TypeOrmModule.forRoot({
        type: 'postgres',
        url,
        entities: sagaEntities,
        migrations: sagaMigrations,
        migrationsRun: true,
        logging: false,
        extra: { max: serverUrl ? Math.min(Math.max(C, 4), 40) : 8 },
      }),
      ];
  @Module({
    imports: [
      ...typeorm,
      ScheduleModule.forRoot(),
      SagaModule.forRoot({
        ...(redis ? { store: redis.store } : {}),
        // The embedded PGlite serves every connection from one session: no named statements there.
        // --no-prepared: every statement unnamed, as behind a pooler in transaction mode.
        ...(serverUrl && !values['no-prepared'] ? {} : { preparedStatements: false }),
        concurrency: Math.max(2 * C, 8),
        pollIntervalMs: 1_000,
        leaseMs: 30_000,
        disableStuckDetector: true,
      }),
    ],
    providers: steps,
  })
  class BenchModule {}

  Logger.overrideLogger(['error']);
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: ['error'] });
  const preloadSeconds = PRELOAD > 0 ? await preload(url, PRELOAD) : 0;
  const registry = app.get(SagaRegistry);
  registry.define('bench', Array.from({ length: S }, (_, i) => `bench-${i + 1}`));
  const sagas = app.get(SagaService);
  // Resident memory of the booted app before any saga runs: what the run adds is measured against it.
  const idleRssMb = toMb(process.memoryUsage.rss());
  let commitMs: number;
  let statements: Meter;
  if (redis) {
    commitMs = await redis.commitMs();
    statements = redis.meter();
  } else {
    const { DataSource } = await import('typeorm');
    const ds = app.get(DataSource);
    const pool = (ds.driver as unknown as { master: pg.Pool }).master;
    commitMs = await measureCommitMs(pool);
    if (WRITE) {
      await ds.query(`CREATE TABLE bench_rows (id bigserial PRIMARY KEY, saga_id uuid NOT NULL, step int NOT NULL)`);
      writeThrough = ds;
    }
    statements = countStatements();
  }

  // Sagas in flight, by id, with when they were started; a saga's end can arrive before its start
  // returns, so an end nobody waits for yet is kept until its runOne asks for it.
  const waiting = new Map<string, { since: number; resolve: (status: string) => void; reject: (error: Error) => void }>();
  const endedEarly = new Map<string, string>();
  const sub = sagas.events$.subscribe((e: SagaLifecycleEvent) => {
    if (e.type === 'SAGA_COMPLETED' || e.type === 'SAGA_COMPENSATED' || e.type === 'SAGA_FAILED' || e.type === 'SAGA_CANCELLED') {
      const w = waiting.get(e.sagaId);
      if (!w) endedEarly.set(e.sagaId, e.status);
      else {
        waiting.delete(e.sagaId);
        w.resolve(e.status);
      }
    }
  });
  // One watchdog for the whole run rather than a timer per saga: a saga still in flight
  // SAGA_DEADLINE_MS after its start fails the run, naming it.
  const watchdog = setInterval(() => {
    const now = performance.now();
    for (const [sagaId, w] of waiting) {
      if (now - w.since < SAGA_DEADLINE_MS) continue;
      waiting.delete(sagaId);
      w.reject(new Error(`saga ${sagaId} did not finish within ${SAGA_DEADLINE_MS / 1000} s`));
    }
  }, 1_000);
  watchdog.unref();

  let failSeq = 0;
  async function runOne(n: number): Promise<{ ms: number; status: string }> {
    failSeq += FAIL_RATE;
    const fail = failSeq >= 1;
    if (fail) failSeq -= 1;
    const t0 = performance.now();
    const handle = await sagas.start('bench', { n, fail } satisfies BenchInput);
    let status = endedEarly.get(handle.sagaId);
    if (status !== undefined) endedEarly.delete(handle.sagaId);
    else status = await new Promise<string>((resolve, reject) => waiting.set(handle.sagaId, { since: t0, resolve, reject }));
    return { ms: performance.now() - t0, status };
  }

  async function runBatch(total: number): Promise<{ latencies: number[]; statuses: Map<string, number>; seconds: number }> {
    const latencies: number[] = [];
    const statuses = new Map<string, number>();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(C, total) }, async () => {
        while (next < total) {
          const r = await runOne(next++);
          latencies.push(r.ms);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        }
      }),
    );
    return { latencies, statuses, seconds: (performance.now() - t0) / 1000 };
  }

  const commitsOf = async () =>
    serverUrl && !redis
      ? withClient(url, (c) => c.query(`SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()`)).then((r) => Number(r.rows[0].n))
      : 0;

  /** The server's WAL position in bytes, or null on the embedded database and Redis. */
  const walLsnOf = async (): Promise<string | null> =>
    serverUrl && !redis
      ? withClient(url, (c) => c.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint::text AS n`)).then((r) => r.rows[0].n as string)
      : null;

  // Read paths of the admin API on the preloaded table, through SagaService as the API calls them.
  let reads: Record<string, number> = {};
  if (PRELOAD > 0) {
    let cursor: string | null = null;
    // A cursor 90% of the way down: paged to, as an operator's client would.
    for (let seen = 0; seen < PRELOAD * 0.9; seen += 500) {
      const page = await sagas.list({ limit: 500, ...(cursor ? { cursor } : {}) });
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    const deep = cursor;
    reads = {
      listP50Ms: await p50Of(30, () => sagas.list({ limit: 50 })),
      listStatusP50Ms: await p50Of(30, () => sagas.list({ limit: 50, status: ['COMPENSATED'] })),
      listNameP50Ms: await p50Of(30, () => sagas.list({ limit: 50, name: 'refund' })),
      listDeepP50Ms: await p50Of(30, () => sagas.list({ limit: 50, ...(deep ? { cursor: deep } : {}) })),
      searchP50Ms: await p50Of(30, () => sagas.list({ limit: 50, q: `pre-${Math.floor(PRELOAD / 3)}` })),
      statsMs: await p50Of(10, () => sagas.stats()),
    };
  }

  // The highest resident memory from the warm-up to the end of the run, sampled every 20 ms.
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  if (WARMUP > 0) await runBatch(WARMUP);
  await new Promise((r) => setTimeout(r, 1_200)); // let pg_stat_database catch up
  const commits0 = await commitsOf();
  const wal0 = await walLsnOf();
  const stmts0 = statements.count();
  const busy0 = statements.busyMs();
  statements.reset?.();
  const cpu0 = process.cpuUsage();
  const { latencies, statuses, seconds } = await runBatch(N);
  const cpu = process.cpuUsage(cpu0);
  const stmts = statements.count() - stmts0;
  const busyMs = statements.busyMs() - busy0;
  const walBytes = wal0 === null ? null : await walLsnOf().then((wal1) => (wal1 === null ? null : Number(BigInt(wal1) - BigInt(wal0))));
  await new Promise((r) => setTimeout(r, 1_200));
  // Our own two reads of pg_stat_database are transactions too: take them off.
  const commits = serverUrl && !redis ? (await commitsOf()) - commits0 - 1 : stmts;
  latencies.sort((a, b) => a - b);
  clearInterval(sampler);
  const memory = process.memoryUsage();
  const rssMb = toMb(memory.rss);
  const peakRssMb = toMb(Math.max(peakRss, memory.rss));
  const heapUsedMb = toMb(memory.heapUsed);

  clearInterval(watchdog);
  sub.unsubscribe();
  await app.close();
  dropOnFailure = null;
  await cleanup();

  const result = {
    sagas: N,
    concurrency: C,
    steps: S,
    noEffectSteps: NO_EFFECTS,
    failRate: FAIL_RATE,
    stepWrites: TRANSACTIONAL ? 'transactional' : WRITE ? 'autocommit' : 'none',
    preparedStatements: !redis && Boolean(serverUrl) && !values['no-prepared'],
    sagasPerSec: Math.round((N / seconds) * 10) / 10,
    stepsPerSec: Math.round(((N * S) / seconds) * 10) / 10,
    p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
    p99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
    commitMs: Math.round(commitMs * 1000) / 1000,
    floorMs: Math.round((S + 1 - NO_EFFECTS) * commitMs * 100) / 100,
    p50ToFloor: Math.round((percentile(latencies, 50) / ((S + 1 - NO_EFFECTS) * commitMs)) * 100) / 100,
    // Where a saga's time goes, per saga: the pool busy with a statement, and the rest of the wall
    // clock (engine, timers, event loop). At 1 in flight they add up to the mean latency.
    statementMsPerSaga: Math.round((busyMs / N) * 100) / 100,
    // CPU time of this process per saga during the run, in user space (the engine's own cost, with the
    // pg driver's and the benchmark's; steadier from run to run than the latencies) and in the kernel
    // (mostly the socket writes and reads of the statements).
    cpuUserMsPerSaga: Math.round((cpu.user / 1000 / N) * 1000) / 1000,
    cpuSystemMsPerSaga: Math.round((cpu.system / 1000 / N) * 1000) / 1000,
    elsewhereMsPerSaga: Math.round(((seconds * 1000 - busyMs) / N) * 100) / 100,
    // Each kind of statement the run made: how many, and its p50 at the pool (send to result).
    statementsByKind: statements.byKind?.() ?? {},
    commitsPerSaga: Math.round((commits / N) * 100) / 100,
    // WAL written by the server during the run, per saga (the whole server's: quiet it for this one).
    ...(walBytes !== null ? { walBytesPerSaga: Math.round(walBytes / N) } : {}),
    statementsPerSaga: Math.round((stmts / N) * 100) / 100,
    // Resident memory: after boot (before the warm-up), the highest seen from the warm-up to the end
    // of the run, and at the end of the run; with the JS heap in use at the end.
    idleRssMb,
    peakRssMb,
    rssMb,
    heapUsedMb,
    database,
    statuses: Object.fromEntries(statuses),
    seconds: Math.round(seconds * 100) / 100,
    node: process.version,
    // Heap flags change the memory figures (and the time spent in GC): the ones this run had.
    nodeFlags: [...process.execArgv, ...(process.env.NODE_OPTIONS ? [process.env.NODE_OPTIONS] : [])].join(' '),
    ...(PRELOAD > 0 ? { preload: PRELOAD, preloadSeconds: Math.round(preloadSeconds), ...reads } : {}),
  };
  const rows: [string, string][] = [
    ['database', database],
    ['sagas × steps', `${N} × ${S} (fail rate ${FAIL_RATE}, warm-up ${WARMUP}${NO_EFFECTS ? `, ${NO_EFFECTS} with effects 'none'` : ''})`],
    ['in flight', String(C)],
    ['step writes', result.stepWrites],
    ['outcomes', Object.entries(result.statuses).map(([k, v]) => `${k} ${v}`).join(', ')],
    ['sagas/s', String(result.sagasPerSec)],
    ['steps/s', String(result.stepsPerSec)],
    ['latency p50 / p99 (ms)', `${result.p50Ms} / ${result.p99Ms}`],
    [redis ? 'commits per saga (Redis commands and scripts)' : 'commits per saga', String(result.commitsPerSaga)],
    ...(result.walBytesPerSaga !== undefined ? ([['WAL bytes per saga', String(result.walBytesPerSaga)]] as [string, string][]) : []),
    ['commit / floor (ms)', `${result.commitMs} / ${result.floorMs} (p50 is ${result.p50ToFloor}× the floor)`],
    ['per saga: in statements / elsewhere (ms)', `${result.statementMsPerSaga} / ${result.elsewhereMsPerSaga}`],
    ['CPU per saga: user / system (ms)', `${result.cpuUserMsPerSaga} / ${result.cpuSystemMsPerSaga}`],
    ...Object.entries(result.statementsByKind).map(([kind, v]) => [`  ${kind} statements: count, p50 (ms)`, `${v.count}, ${v.p50Ms}`] as [string, string]),
    ['statements per saga', String(result.statementsPerSaga)],
    ['RSS idle / peak / end (MB)', `${idleRssMb} / ${peakRssMb} / ${rssMb}`],
    ['heap used at the end (MB)', String(heapUsedMb)],
    ...(result.nodeFlags ? ([['node flags', result.nodeFlags]] as [string, string][]) : []),
    ...(PRELOAD > 0
      ? ([
          ['preloaded sagas', `${PRELOAD} in ${Math.round(preloadSeconds)} s`],
          ...Object.entries(reads).map(([k, v]) => [k, String(v)] as [string, string]),
        ] as [string, string][])
      : []),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Set once the run has a database of its own, until it is dropped after a normal end. */
let dropOnFailure: (() => Promise<void>) | null = null;

main().catch(async (error) => {
  process.stderr.write(`bench failed: ${error?.stack ?? error}\n`);
  await dropOnFailure?.().catch((cleanupError: unknown) => process.stderr.write(`cleanup failed: ${cleanupError}\n`));
  process.exit(1);
});
