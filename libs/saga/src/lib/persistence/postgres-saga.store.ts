/**
 * SagaStore on PostgreSQL, in plain SQL over the pg pool of the app's TypeORM DataSource (TypeORM
 * only finds the pool, and opens the transactions of transactional steps). Each engine write is a
 * single autocommit statement (CTEs append the history in the same statement), fenced by
 * `owner_id` and `fence`; claims use `FOR UPDATE SKIP LOCKED`; every time compared across
 * instances is the database's `now()`.
 */
import type { SagaStats, SagaStatus } from '@nest-saga/contracts';
import { SAGA_STATUSES } from '@nest-saga/contracts';
import type { DataSource, QueryRunner } from 'typeorm';
import { SagaConfigurationError, SagaQueryError, SagaUnstorableDataError } from '../errors/saga.errors.js';
import { GroupWriter } from './group-writer.js';
import { isConnectionFailure, isDataRefusal, sqlStateOf } from './pg-errors.js';
import type { NewSagaEvent, SagaEventRecord, SagaRecord, SagaRequest } from './saga.records.js';
import { isUuid, startedRecord, storedEvent } from './stored-values.js';
import { ACTIVE_STATUSES_SQL, FINISHED_SAGA_STATUSES, FINISHED_STATUSES_SQL } from './saga-status-sets.js';
import {
  SagaStore,
  type Checkpoint,
  type CheckpointResult,
  type ClaimedSaga,
  type LeaseRenewal,
  type NewSaga,
  type SagaListFilter,
  type SagaListPage,
  type SagaVersionRow,
  type StuckCandidate,
  type StuckMark,
  type StepTransaction,
} from './saga.store.js';

/** The part of a pg Client a step's transaction uses. */
interface PgConnection {
  query(query: string | NamedSqlQuery, values?: unknown[]): Promise<{ rows: any[] }>;
}

/** The part of a pg Pool (or Client) the store uses. */
/** A statement prepared once per connection under `name` (pg's query config). */
export interface NamedSqlQuery {
  name: string;
  text: string;
  values: unknown[];
}

/**
 * What `PostgresSagaStore` needs of a connection pool: `query`, with named (prepared) statements.
 * A `pg.Pool` is one (`new PostgresSagaStore(pool)`); `PostgresSagaStore.fromDataSource(ds)` takes
 * the pool of a TypeORM DataSource.
 */
export interface SqlClient {
  query(text: string | NamedSqlQuery, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

interface PgClientLike {
  on(event: 'error', listener: (error: Error) => void): unknown;
}
interface PgPoolLike {
  on(event: 'connect', listener: (client: PgClientLike) => void): unknown;
  _clients?: PgClientLike[];
}

const GUARDED = Symbol('nest-saga:guarded');

/**
 * When PostgreSQL restarts, a pooled client can emit 'error' while no query or pool listener is
 * attached to it (between TypeORM's release and the pool's), and an unhandled 'error' event kills
 * the process. Every client gets a permanent listener: queries still see their own errors, and the
 * app keeps running and retrying instead of crashing.
 */
function guardClientErrors(pool: PgPoolLike): void {
  const marked = pool as PgPoolLike & { [GUARDED]?: boolean };
  if (marked[GUARDED]) return;
  marked[GUARDED] = true;
  const guard = (client: PgClientLike) => client.on('error', () => undefined);
  pool.on('connect', guard);
  for (const client of pool._clients ?? []) guard(client);
}

const COLUMNS = `id, name, definition_version, status, input, current_step, idempotency_key, owner_id,
  lease_expires_at, fence, next_run_at, deadline_at, deadline_handled_at, compensation_cause,
  pending_request, error, steps, created_at, updated_at, finished_at, stuck_since, stuck_reason, trace_context, plan`;

/**
 * Appends the events of a JSON array (`events`, an SQL expression) for each row of `from`, in the
 * array's order; `orderBy` orders across rows. Every write of the store uses it, in the same
 * statement as the saga's own row.
 */
function insertEvents(from: string, sagaId: string, events: string, orderBy = 'x.k'): string {
  return `INSERT INTO saga_events (saga_id, type, step, attempt, actor, reason, error, data)
         SELECT ${sagaId}, x.type, x.step, x.attempt, x.actor, x.reason, x.error, x.data
         FROM ${from} CROSS JOIN LATERAL ROWS FROM (
           jsonb_to_recordset(${events}) AS (type varchar, step varchar, attempt int, actor varchar, reason text, error jsonb, data jsonb)
         ) WITH ORDINALITY AS x(type, step, attempt, actor, reason, error, data, k)
         ORDER BY ${orderBy}`;
}

/** Milliseconds as an interval; `param` is cast, so a bare parameter gets its type here. */
const ms = (param: string) => `(${param}::double precision * interval '1 millisecond')`;
/** Milliseconds as an interval, of an expression already `double precision`. */
const msOf = (expr: string) => `(${expr} * interval '1 millisecond')`;

function eventsJson(events: NewSagaEvent[]): string {
  return JSON.stringify(events.map(storedEvent));
}

/**
 * The fields a statement reads for each item it writes (a start, a checkpoint), with their SQL
 * types, in parameter order. A single item is sent as plain parameters (`$n::type`, cheaper to
 * plan than a one-row recordset); a batch as one JSON recordset `b` (`b.field`), one row per item.
 * Either way the statement is built once from the same fields, so both paths apply the same rule.
 */
type FieldTypes = Readonly<Record<string, string>>;
type FieldSql<F extends FieldTypes> = { readonly [K in keyof F]: string };
type FieldValues<F extends FieldTypes> = { [K in keyof F]: unknown };

function paramFields<F extends FieldTypes>(types: F): FieldSql<F> {
  return Object.fromEntries(Object.entries(types).map(([field, type], i) => [field, `$${i + 1}::${type}`])) as FieldSql<F>;
}

/** The values of one item as parameters, in field order; JSON values are sent as their text. */
function paramValues<F extends FieldTypes>(types: F, values: FieldValues<F>): unknown[] {
  return Object.entries(types).map(([field, type]) => {
    const value = values[field];
    return type === 'jsonb' && value !== null ? JSON.stringify(value) : value;
  });
}

function batchFields<F extends FieldTypes>(types: F): FieldSql<F> {
  return Object.fromEntries(Object.keys(types).map((field) => [field, `b.${field}`])) as FieldSql<F>;
}

/** The CTE `b`: the batch's items, from the JSON array of their field values in `$1`. */
function batchRows(types: FieldTypes): string {
  const columns = Object.entries(types).map(([field, type]) => `${field} ${type}`);
  return `b AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS b(${columns.join(', ')})
       )`;
}

/** A saga's start: the row, and the events appended with it. */
const START_FIELDS = {
  id: 'uuid',
  name: 'varchar',
  version: 'int',
  status: 'varchar',
  input: 'jsonb',
  idempotency_key: 'varchar',
  owner: 'varchar',
  lease_ms: 'double precision',
  deadline_ms: 'double precision',
  steps: 'jsonb',
  trace_context: 'jsonb',
  plan: 'jsonb',
  events: 'jsonb',
} as const;

function startValues(saga: NewSaga, events: NewSagaEvent[]): FieldValues<typeof START_FIELDS> {
  return {
    id: saga.id,
    name: saga.name,
    version: saga.version,
    status: saga.status,
    input: saga.input ?? null,
    idempotency_key: saga.idempotencyKey,
    owner: saga.ownerId,
    lease_ms: saga.leaseMs,
    deadline_ms: saga.deadlineMs,
    steps: saga.steps,
    trace_context: saga.traceContext ?? null,
    plan: saga.plan ?? null,
    events: events.map(storedEvent),
  };
}

/**
 * The INSERT of new sagas, for one (`from` null: VALUES) or a batch (`from`: the rows to select).
 * An owner given at the start holds the saga at once (fence 1); none: it is due now for anyone. An
 * existing idempotency key, or an existing id (the same start sent again after its reply was lost),
 * inserts nothing: the caller reads that saga instead (see existingStart).
 */
function insertSagas(f: FieldSql<typeof START_FIELDS>, from: string | null): string {
  const values = `${f.id}, ${f.name}, ${f.version}, ${f.status}, ${f.input}, 0, ${f.idempotency_key}, ${f.owner},
           CASE WHEN ${f.owner} IS NULL THEN NULL ELSE now() + ${msOf(f.lease_ms)} END,
           CASE WHEN ${f.owner} IS NULL THEN 0 ELSE 1 END,
           CASE WHEN ${f.owner} IS NULL THEN now() ELSE now() + ${msOf(f.lease_ms)} END,
           CASE WHEN ${f.deadline_ms} IS NULL THEN NULL ELSE now() + ${msOf(f.deadline_ms)} END,
           ${f.steps}, ${f.trace_context}, ${f.plan}`;
  return `INSERT INTO saga_instances (id, name, definition_version, status, input, current_step, idempotency_key,
           owner_id, lease_expires_at, fence, next_run_at, deadline_at, steps, trace_context, plan)
         ${from === null ? `VALUES (${values})` : `SELECT ${values}
         FROM ${from}`}
         ON CONFLICT DO NOTHING
         RETURNING ${STARTED_COLUMNS}`;
}

/**
 * What a start returns: only what the server computed (times, lease, fence). The rest of the new
 * row is what the caller sent, so it is not sent back and parsed again (see startedRecordOf).
 */
const STARTED_COLUMNS = 'id, owner_id, lease_expires_at, fence, next_run_at, deadline_at, created_at, updated_at';

/** The record of a saga just inserted: the caller's values and the server's (`row`, STARTED_COLUMNS). */
function startedRecordOf(saga: NewSaga, row: any): SagaRecord {
  return startedRecord(
    saga,
    {
      ownerId: row.owner_id,
      leaseExpiresAt: row.lease_expires_at,
      fence: Number(row.fence),
      nextRunAt: row.next_run_at,
      deadlineAt: row.deadline_at,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    },
    // The engine's own fresh JSON values.
    saga.steps,
  );
}

const START_ONE = paramFields(START_FIELDS);
/** The start of one saga. */
const INSERT_ONE_SQL = `WITH ins AS (
         ${insertSagas(START_ONE, null)}
       ), ev AS (
         ${insertEvents('ins', 'ins.id', START_ONE.events)}
       )
       SELECT * FROM ins`;

/** The starts of a batch, in one statement; `n` keeps the batch's order. */
const BATCH_START_FIELDS = { n: 'int', ...START_FIELDS } as const;
const START_BATCH = batchFields(BATCH_START_FIELDS);
const INSERT_BATCH_SQL = `WITH ${batchRows(BATCH_START_FIELDS)}, ins AS (
         ${insertSagas(START_BATCH, 'b ORDER BY b.n')}
       ), ev AS (
         ${insertEvents('ins JOIN b ON b.id = ins.id', 'ins.id', START_BATCH.events, 'b.n, x.k')}
       )
       SELECT * FROM ins`;

export function toSagaRecord(row: any): SagaRecord {
  return {
    id: row.id,
    name: row.name,
    version: row.definition_version,
    status: row.status,
    input: row.input,
    currentStep: row.current_step,
    idempotencyKey: row.idempotency_key,
    ownerId: row.owner_id,
    leaseExpiresAt: row.lease_expires_at,
    fence: Number(row.fence),
    nextRunAt: row.next_run_at,
    deadlineAt: row.deadline_at,
    deadlineHandledAt: row.deadline_handled_at,
    compensationCause: row.compensation_cause,
    request: row.pending_request,
    error: row.error,
    steps: row.steps,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    stuckSince: row.stuck_since,
    stuckReason: row.stuck_reason,
    traceContext: row.trace_context ?? null,
    plan: row.plan ?? null,
  };
}

function encodeCursor(createdUs: string, id: string): string {
  return Buffer.from(`${createdUs}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdUs: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [createdUs, id] = text.split(':');
  if (!createdUs || !/^\d{1,18}$/.test(createdUs) || !id || !isUuid(id)) {
    throw new SagaQueryError('The cursor is not one this API returned; start again without a cursor.', 'cursor');
  }
  return { createdUs, id };
}

export interface PostgresSagaStoreOptions {
  /** Most checkpoints written in one statement. @default 256 */
  maxBatchSize?: number;
  /** Batches written at the same time; more checkpoints wait and join the next batch. @default 2 */
  maxConcurrentBatches?: number;
  /**
   * The DataSource whose transactions run transactional steps (`ctx.manager`); the one the pool
   * belongs to. Without it the store cannot run transactional steps.
   */
  dataSource?: () => DataSource;
  /**
   * Send the hot statements (starts and checkpoints) as named prepared statements, parsed and
   * planned once per connection instead of at every call. Turn off behind a pooler in transaction
   * mode that cannot keep prepared statements (PgBouncer before 1.21). @default true
   */
  preparedStatements?: boolean;
}

interface CountRow {
  name: string;
  status: string;
  n: number;
  stuck: number;
}

/** Above this many rows (the planner's estimate), finished sagas are counted in the background. */
const LARGE_TABLE_ROWS = 200_000;
/** How old the counts of finished sagas may be on a large table. */
const FINISHED_COUNTS_MAX_AGE_MS = 15_000;

/** Everything a checkpoint writes, and the fence it must still hold (id, fence, owner). */
const CHECKPOINT_FIELDS = {
  id: 'uuid',
  fence: 'bigint',
  owner: 'varchar',
  status: 'varchar',
  current_step: 'int',
  steps: 'jsonb',
  error: 'jsonb',
  cause: 'varchar',
  deadline_handled: 'boolean',
  finished: 'boolean',
  release: 'boolean',
  lease_ms: 'double precision',
  next_run_ms: 'double precision',
  clear_token: 'varchar',
  events: 'jsonb',
  seq: 'int',
} as const;

function checkpointValues(cp: Checkpoint): FieldValues<typeof CHECKPOINT_FIELDS> {
  return {
    id: cp.sagaId,
    fence: cp.fence,
    owner: cp.ownerId,
    status: cp.status,
    current_step: cp.currentStep,
    steps: cp.steps,
    error: cp.error ?? null,
    cause: cp.compensationCause,
    deadline_handled: cp.deadlineHandled,
    finished: cp.finished,
    release: cp.release,
    lease_ms: cp.leaseMs,
    next_run_ms: cp.nextRunInMs,
    clear_token: cp.clearRequestToken,
    events: cp.events.map(storedEvent),
    seq: cp.seq ?? null,
  };
}

/**
 * The checkpoint rule, written once for the single and the batch path: the UPDATE of saga `s`,
 * applied only while the caller still holds it (`id`, `fence` and `owner` match), with `from` the
 * batch's rows. Releasing gives the saga up, due again at `next_run_ms` (at once when an operator
 * request newer than the one applied waits); the applied request is cleared; a stuck mark goes,
 * except a passed deadline while the saga is not finished.
 */
function fencedCheckpoint(f: FieldSql<typeof CHECKPOINT_FIELDS>, returning: string, from: string | null = null): string {
  return `UPDATE saga_instances s SET
           status = ${f.status}, current_step = ${f.current_step}, steps = ${f.steps}, error = ${f.error}, compensation_cause = ${f.cause},
           deadline_handled_at = CASE WHEN ${f.deadline_handled} THEN coalesce(s.deadline_handled_at, now()) ELSE NULL END,
           finished_at = CASE WHEN ${f.finished} THEN coalesce(s.finished_at, now()) ELSE NULL END,
           owner_id = CASE WHEN ${f.release} THEN NULL ELSE s.owner_id END,
           lease_expires_at = CASE WHEN ${f.release} THEN NULL ELSE now() + ${msOf(f.lease_ms)} END,
           next_run_at = CASE WHEN NOT ${f.release} THEN s.next_run_at
                              WHEN s.pending_request IS NOT NULL AND s.pending_request->>'token' IS DISTINCT FROM ${f.clear_token} THEN now()
                              WHEN ${f.next_run_ms} IS NULL THEN NULL
                              ELSE now() + ${msOf(f.next_run_ms)} END,
           pending_request = CASE WHEN s.pending_request->>'token' = ${f.clear_token} THEN NULL ELSE s.pending_request END,
           updated_at = now(),
           stuck_since = CASE WHEN s.stuck_reason = 'DEADLINE_PASSED' AND NOT ${f.finished} THEN s.stuck_since ELSE NULL END,
           stuck_reason = CASE WHEN s.stuck_reason = 'DEADLINE_PASSED' AND NOT ${f.finished} THEN s.stuck_reason ELSE NULL END,
           last_write_seq = ${f.seq}
         ${from ? `FROM ${from} ` : ''}WHERE s.id = ${f.id} AND s.fence = ${f.fence} AND s.owner_id = ${f.owner}
           AND (${f.seq} IS NULL OR s.last_write_seq IS DISTINCT FROM ${f.seq})
         RETURNING ${returning}`;
}

const CHECKPOINT_ONE = paramFields(CHECKPOINT_FIELDS);

/**
 * The same write sent again after its reply was lost: `u` is empty because it was applied already
 * (same fence, its seq stored). Answered as applied, from the row as it stands.
 */
const APPLIED_ALREADY_ONE = `SELECT pending_request FROM saga_instances
         WHERE NOT EXISTS (SELECT 1 FROM u) AND id = ${CHECKPOINT_ONE.id} AND fence = ${CHECKPOINT_ONE.fence} AND last_write_seq = ${CHECKPOINT_ONE.seq}`;

/**
 * The fenced checkpoint of one saga, with its events appended in the same statement; `select` is
 * the statement's result (it may read `u`, the updated row, none when the fence no longer matches).
 */
function checkpointOne(select: string): string {
  return `WITH u AS (
         ${fencedCheckpoint(CHECKPOINT_ONE, 's.id, s.pending_request')}
       ), ev AS (
         ${insertEvents('u', 'u.id', CHECKPOINT_ONE.events)}
       )
       ${select}`;
}

const CHECKPOINT_BATCH = batchFields(CHECKPOINT_FIELDS);
/** The checkpoints of a batch, in one statement; the rows come sorted by id (one lock order everywhere). */
const CHECKPOINT_BATCH_SQL = `WITH ${batchRows(CHECKPOINT_FIELDS)}, u AS (
         ${fencedCheckpoint(CHECKPOINT_BATCH, 's.id, s.pending_request, b.events', 'b')}
       ), ev AS (
         ${insertEvents('u', 'u.id', 'u.events', 'u.id, x.k')}
       )
       SELECT id, pending_request FROM u
       UNION ALL
       SELECT s.id, s.pending_request FROM b JOIN saga_instances s ON s.id = b.id
       WHERE b.id NOT IN (SELECT id FROM u) AND s.fence = b.fence AND s.last_write_seq = b.seq`;

const CHECKPOINT_ONE_SQL = checkpointOne(`SELECT pending_request FROM u UNION ALL ${APPLIED_ALREADY_ONE}`);
/**
 * The checkpoint of a transactional attempt, in its transaction: no row when the fence no longer
 * matches (the caller then rolls back). It is never sent again as is (a failure reads the saga
 * back), so it needs no answer for a write applied already.
 */
const CHECKPOINT_IN_TX_SQL = checkpointOne('SELECT pending_request FROM u');

export class PostgresSagaStore extends SagaStore {
  private readonly checkpoints: GroupWriter<Checkpoint, CheckpointResult>;
  private readonly inserts: GroupWriter<{ saga: NewSaga; events: NewSagaEvent[] }, { saga: SagaRecord; created: boolean }>;
  private readonly dataSource?: () => DataSource;
  private readonly prepared: boolean;

  constructor(
    private readonly sql: SqlClient,
    private readonly onInit: () => void = () => undefined,
    options: PostgresSagaStoreOptions = {},
  ) {
    super();
    this.dataSource = options.dataSource;
    this.prepared = options.preparedStatements ?? true;
    const size = options.maxBatchSize ?? 256;
    const concurrent = options.maxConcurrentBatches ?? 2;
    // A failed batch is written again item by item, unless the database is simply unreachable.
    const retryAlone = (error: unknown) => !isConnectionFailure(error);
    this.checkpoints = new GroupWriter((batch) => this.writeCheckpoints(batch), size, concurrent, retryAlone);
    this.inserts = new GroupWriter((batch) => this.writeInserts(batch), size, concurrent, retryAlone);
  }

  /**
   * Runs the write of one saga alone. A value PostgreSQL refuses (see isDataRefusal) becomes a
   * SagaUnstorableDataError, so the caller knows that writing the same data again is pointless.
   */
  private async alone<R>(what: string, sagaId: string, write: () => Promise<R>): Promise<R> {
    try {
      return await write();
    } catch (error) {
      if (!isDataRefusal(error)) throw error;
      const state = sqlStateOf(error);
      throw new SagaUnstorableDataError(
        `PostgreSQL refused the ${what} of saga ${sagaId}: ${(error as Error).message} (SQLSTATE ${state}). Writing the same data again cannot succeed.`,
        state,
        { sagaId },
        { cause: error },
      );
    }
  }

  /** A hot statement: prepared once per connection under `name` unless prepared statements are off. */
  private hot(name: string, text: string, values: unknown[]) {
    return this.prepared ? this.sql.query({ name, text, values }) : this.sql.query(text, values);
  }

  override init(): void {
    this.onInit();
  }

  /** The pg pool behind an initialized TypeORM DataSource using the `postgres` driver. */
  static poolOf(dataSource: DataSource): SqlClient {
    const pool = (dataSource.driver as unknown as { master?: SqlClient }).master;
    if (!pool || typeof pool.query !== 'function') {
      throw new SagaConfigurationError('The saga store needs an initialized TypeORM DataSource with the "postgres" driver.');
    }
    guardClientErrors(pool as unknown as PgPoolLike);
    return pool;
  }

  static fromDataSource(dataSource: DataSource, options: PostgresSagaStoreOptions = {}): PostgresSagaStore {
    return new PostgresSagaStore(PostgresSagaStore.poolOf(dataSource), undefined, { dataSource: () => dataSource, ...options });
  }

  override supportsStepTransactions(): boolean {
    return this.dataSource !== undefined;
  }

  override isUnreachable(error: unknown): boolean {
    return isConnectionFailure(error);
  }

  /**
   * A transaction on a connection of its own, begun by the attempt's first statement (an attempt
   * that writes nothing pays nothing: its checkpoint takes the shared path). See PgStepTransaction.
   */
  override beginStepTransaction(): StepTransaction {
    if (!this.dataSource) return super.beginStepTransaction();
    return new PgStepTransaction(this.dataSource().createQueryRunner('master'), this);
  }

  /**
   * @internal Writes the checkpoint in a step's transaction, then commits it. The checkpoint is a
   * prepared statement like the shared one (planned once per connection; values inlined into one
   * simple-protocol message with the COMMIT cost twice as much, planned at every call). When the
   * fence does not match it updates nothing, `COMMIT` is not sent, and the caller rolls back.
   */
  async checkpointAndCommit(conn: PgConnection, cp: Checkpoint): Promise<CheckpointResult> {
    const values = paramValues(CHECKPOINT_FIELDS, checkpointValues(cp));
    try {
      const { rows } = this.prepared
        ? await conn.query({ name: 'saga_checkpoint_in_tx', text: CHECKPOINT_IN_TX_SQL, values })
        : await conn.query(CHECKPOINT_IN_TX_SQL, values);
      if (!rows.length) return { ok: false, request: null };
      await conn.query('COMMIT');
      return { ok: true, request: rows[0].pending_request ?? null };
    } catch (error) {
      if (!isDataRefusal(error)) throw error;
      throw new SagaUnstorableDataError(
        `PostgreSQL refused the checkpoint of saga ${cp.sagaId}: ${(error as Error).message} (SQLSTATE ${sqlStateOf(error)}). Writing the same data again cannot succeed.`,
        sqlStateOf(error),
        { sagaId: cp.sagaId },
        { cause: error },
      );
    }
  }

  /** Starts of concurrent sagas share statements too (see GroupWriter). */
  insert(saga: NewSaga, events: NewSagaEvent[]): Promise<{ saga: SagaRecord; created: boolean }> {
    return this.inserts.submit({ saga, events });
  }

  private async writeInserts(batch: { saga: NewSaga; events: NewSagaEvent[] }[]): Promise<{ saga: SagaRecord; created: boolean }[]> {
    if (batch.length === 1) return [await this.alone('start', batch[0].saga.id, () => this.insertOne(batch[0].saga, batch[0].events))];
    const rows = batch.map(({ saga, events }, n) => ({ n, ...startValues(saga, events) }));
    const { rows: inserted } = await this.hot('saga_insert_batch', INSERT_BATCH_SQL, [JSON.stringify(rows)]);
    const created = new Map(inserted.map((row) => [row.id as string, row]));
    const results: { saga: SagaRecord; created: boolean }[] = [];
    for (const { saga } of batch) {
      const row = created.get(saga.id);
      // Not inserted: its id or its idempotency key exists (possibly from an item of this very batch).
      results.push(row ? { saga: startedRecordOf(saga, row), created: true } : await this.existingStart(saga));
    }
    return results;
  }

  /**
   * The saga a start that inserted nothing stands for: its own id already stored is this start sent
   * again after its reply was lost, so it was created by this start; otherwise its idempotency key
   * names the saga started before.
   */
  private async existingStart(saga: NewSaga): Promise<{ saga: SagaRecord; created: boolean }> {
    const existing = await this.sql.query(
      `SELECT ${COLUMNS} FROM saga_instances WHERE id = $1 OR idempotency_key = $2 ORDER BY (id = $1) DESC LIMIT 1`,
      [saga.id, saga.idempotencyKey],
    );
    if (!existing.rows.length) throw new Error(`Saga insert returned nothing for saga ${saga.id} (idempotency key "${saga.idempotencyKey}")`);
    const rec = toSagaRecord(existing.rows[0]);
    return { saga: rec, created: rec.id === saga.id };
  }

  private async insertOne(saga: NewSaga, events: NewSagaEvent[]): Promise<{ saga: SagaRecord; created: boolean }> {
    const { rows } = await this.hot('saga_insert', INSERT_ONE_SQL, paramValues(START_FIELDS, startValues(saga, events)));
    if (rows.length) return { saga: startedRecordOf(saga, rows[0]), created: true };
    return this.existingStart(saga);
  }

  /**
   * Checkpoints of concurrent sagas share statements and commits (see GroupWriter); each caller
   * learns its own outcome: rows whose fence no longer matches come back as `ok: false`.
   */
  checkpoint(cp: Checkpoint): Promise<CheckpointResult> {
    return this.checkpoints.submit(cp);
  }

  /** One checkpoint alone: plain parameters are cheaper to plan than a one-row recordset. */
  private async writeOne(cp: Checkpoint): Promise<CheckpointResult> {
    const { rows } = await this.hot('saga_checkpoint', CHECKPOINT_ONE_SQL, paramValues(CHECKPOINT_FIELDS, checkpointValues(cp)));
    if (!rows.length) return { ok: false, request: null };
    return { ok: true, request: rows[0].pending_request ?? null };
  }

  private async writeCheckpoints(batch: Checkpoint[]): Promise<CheckpointResult[]> {
    if (batch.length === 1) return [await this.alone('checkpoint', batch[0].sagaId, () => this.writeOne(batch[0]))];
    // Same lock order in every batch (and in lease renewals): by id.
    const rows = [...batch].sort((a, b) => (a.sagaId < b.sagaId ? -1 : 1)).map(checkpointValues);
    const { rows: updated } = await this.hot('saga_checkpoint_batch', CHECKPOINT_BATCH_SQL, [JSON.stringify(rows)]);
    const results = new Map<string, CheckpointResult>();
    for (const row of updated) results.set(row.id, { ok: true, request: row.pending_request ?? null });
    return batch.map((cp) => results.get(cp.sagaId) ?? { ok: false, request: null });
  }

  async claimDue(ownerId: string, limit: number, leaseMs: number): Promise<ClaimedSaga[]> {
    return this.claim(ownerId, leaseMs, `next_run_at <= now() AND (owner_id IS NULL OR lease_expires_at < now())`, [limit], '$3');
  }

  async claimOne(sagaId: string, ownerId: string, leaseMs: number): Promise<ClaimedSaga | null> {
    if (!isUuid(sagaId)) return null;
    const claimed = await this.claim(ownerId, leaseMs, `id = $4 AND (owner_id IS NULL OR lease_expires_at < now())`, [1, sagaId], '$3');
    return claimed[0] ?? null;
  }

  async reclaim(ownerId: string, limit: number, leaseMs: number): Promise<ClaimedSaga[]> {
    // The status list is the predicate of ix_saga_instances_active, so that index serves this query.
    const { rows } = await this.sql.query(
      `WITH locked AS (
         SELECT id, next_run_at FROM saga_instances
         WHERE owner_id = $1 AND status IN (${ACTIVE_STATUSES_SQL})
         FOR UPDATE SKIP LOCKED
       ), c AS (
         SELECT id, row_number() OVER (ORDER BY next_run_at NULLS FIRST, id) <= $3 AS mine FROM locked
       ), u AS (
         UPDATE saga_instances s SET
           fence = CASE WHEN c.mine THEN s.fence + 1 ELSE s.fence END,
           last_write_seq = CASE WHEN c.mine THEN NULL ELSE s.last_write_seq END,
           lease_expires_at = CASE WHEN c.mine THEN now() + ${ms('$2')} ELSE now() - interval '1 millisecond' END,
           next_run_at = CASE WHEN c.mine THEN now() + ${ms('$2')} ELSE now() END
         FROM c WHERE s.id = c.id
         RETURNING ${COLUMNS
           .split(',')
           .map((c) => `s.${c.trim()}`)
           .join(', ')}, c.mine
       ), ev AS (
         INSERT INTO saga_events (saga_id, type, actor, data)
         SELECT u.id, 'LEASE_TAKEN_OVER', $1, jsonb_build_object('previousOwner', $1::text, 'newOwner', $1::text, 'fence', u.fence, 'restart', true)
         FROM u WHERE u.mine
       )
       SELECT * FROM u WHERE u.mine`,
      [ownerId, leaseMs, limit],
    );
    return rows.map((row) => ({ saga: toSagaRecord(row), previousOwner: ownerId }));
  }

  private async claim(ownerId: string, leaseMs: number, where: string, extra: unknown[], limitParam: string): Promise<ClaimedSaga[]> {
    const { rows } = await this.sql.query(
      `WITH c AS (
         SELECT id, owner_id AS previous_owner FROM saga_instances
         WHERE ${where}
         ORDER BY next_run_at NULLS FIRST
         LIMIT ${limitParam}
         FOR UPDATE SKIP LOCKED
       ), u AS (
         UPDATE saga_instances s SET owner_id = $1, fence = s.fence + 1, last_write_seq = NULL,
           lease_expires_at = now() + ${ms('$2')}, next_run_at = now() + ${ms('$2')}
         FROM c WHERE s.id = c.id
         RETURNING ${COLUMNS
           .split(',')
           .map((c) => `s.${c.trim()}`)
           .join(', ')}, c.previous_owner
       ), ev AS (
         INSERT INTO saga_events (saga_id, type, actor, data)
         SELECT u.id, 'LEASE_TAKEN_OVER', $1, jsonb_build_object('previousOwner', u.previous_owner, 'newOwner', $1::text, 'fence', u.fence)
         FROM u WHERE u.previous_owner IS NOT NULL
       )
       SELECT * FROM u`,
      [ownerId, leaseMs, ...extra],
    );
    return rows.map((row) => ({ saga: toSagaRecord(row), previousOwner: row.previous_owner ?? null }));
  }

  async renewLeases(ownerId: string, sagas: { sagaId: string; fence: number }[], leaseMs: number): Promise<LeaseRenewal[]> {
    if (!sagas.length) return [];
    const sorted = [...sagas].sort((a, b) => (a.sagaId < b.sagaId ? -1 : 1));
    const { rows } = await this.sql.query(
      `WITH u AS (
         UPDATE saga_instances s SET lease_expires_at = now() + ${ms('$2')}
         FROM unnest($3::uuid[], $4::bigint[]) AS r(id, fence)
         WHERE s.id = r.id AND s.fence = r.fence AND s.owner_id = $1
         RETURNING s.id, s.fence, s.pending_request
       ) SELECT * FROM u`,
      [ownerId, leaseMs, sorted.map((s) => s.sagaId), sorted.map((s) => s.fence)],
    );
    return rows.map((row) => ({ sagaId: row.id, fence: Number(row.fence), request: row.pending_request ?? null }));
  }

  async pendingRequests(ownerId: string): Promise<LeaseRenewal[]> {
    const { rows } = await this.sql.query(
      `SELECT id, fence, pending_request FROM saga_instances WHERE pending_request IS NOT NULL AND owner_id = $1`,
      [ownerId],
    );
    return rows.map((row) => ({ sagaId: row.id, fence: Number(row.fence), request: row.pending_request }));
  }

  async releaseAll(ownerId: string, sagas: { sagaId: string; fence: number }[], delayMs = 0): Promise<void> {
    if (!sagas.length) return;
    await this.sql.query(
      `WITH u AS (
         UPDATE saga_instances s SET owner_id = NULL, lease_expires_at = NULL, next_run_at = now() + ${ms('$4')}
         FROM unnest($2::uuid[], $3::bigint[]) AS r(id, fence)
         WHERE s.id = r.id AND s.fence = r.fence AND s.owner_id = $1
         RETURNING s.id
       ) SELECT count(*) FROM u`,
      [ownerId, sagas.map((s) => s.sagaId), sagas.map((s) => s.fence), delayMs],
    );
  }

  async request(sagaId: string, request: SagaRequest, allowed: SagaStatus[], event: NewSagaEvent | null): Promise<SagaRecord | null> {
    if (!isUuid(sagaId)) return null;
    const cols = COLUMNS.split(',').map((c) => c.trim());
    // The row is locked first and read at its latest version (a concurrent request may just have
    // committed), then either the request is written with its event, or, when the same request
    // already waits, that row is returned as it is: no second write, no second history row.
    const { rows } = await this.sql.query(
      `WITH cur AS (
         SELECT ${COLUMNS} FROM saga_instances WHERE id = $1 FOR UPDATE
       ), u AS (
         UPDATE saga_instances s SET pending_request = $2::jsonb,
           next_run_at = CASE WHEN s.owner_id IS NULL OR s.lease_expires_at < now() THEN now() ELSE s.next_run_at END
         FROM cur WHERE s.id = cur.id AND cur.status = ANY($3::varchar[]) AND cur.pending_request IS NULL
         RETURNING ${cols.map((c) => `s.${c}`).join(', ')}
       ), ev AS (
         ${insertEvents('u', 'u.id', '$4::jsonb')}
       )
       SELECT * FROM u
       UNION ALL
       SELECT ${cols.map((c) => `cur.${c}`).join(', ')} FROM cur
       WHERE cur.status = ANY($3::varchar[])
         AND cur.pending_request->>'action' = $2::jsonb->>'action'
         AND cur.pending_request->'step' IS NOT DISTINCT FROM $2::jsonb->'step'`,
      [sagaId, JSON.stringify(request), allowed, eventsJson(event ? [event] : [])],
    );
    return rows.length ? toSagaRecord(rows[0]) : null;
  }

  async appendEvents(sagaId: string, events: NewSagaEvent[]): Promise<void> {
    if (!events.length) return;
    await this.sql.query(
      `WITH s AS (SELECT $1::uuid AS id) ${insertEvents('s', 's.id', '$2::jsonb')}`,
      [sagaId, eventsJson(events)],
    );
  }

  async get(sagaId: string): Promise<SagaRecord | null> {
    if (!isUuid(sagaId)) return null;
    const { rows } = await this.sql.query(`SELECT ${COLUMNS} FROM saga_instances WHERE id = $1`, [sagaId]);
    return rows.length ? toSagaRecord(rows[0]) : null;
  }

  async getEvents(sagaId: string): Promise<SagaEventRecord[]> {
    if (!isUuid(sagaId)) return [];
    const { rows } = await this.sql.query(
      `SELECT id, saga_id, at, type, step, attempt, actor, reason, error, data FROM saga_events WHERE saga_id = $1 ORDER BY id`,
      [sagaId],
    );
    return rows.map((r) => ({
      id: String(r.id),
      sagaId: r.saga_id,
      at: r.at,
      type: r.type,
      step: r.step,
      attempt: r.attempt,
      actor: r.actor,
      reason: r.reason,
      error: r.error,
      data: r.data,
    }));
  }

  async list(filter: SagaListFilter): Promise<SagaListPage> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (filter.status?.length) where.push(`status = ANY(${p(filter.status)}::varchar[])`);
    if (filter.name) where.push(`name = ${p(filter.name)}`);
    if (filter.stuck) where.push(`stuck_since IS NOT NULL`);
    if (filter.q) {
      const q = filter.q.trim();
      if (isUuid(q)) where.push(`(id = ${p(q)}::uuid OR idempotency_key = ${p(q)})`);
      else where.push(`(idempotency_key = ${p(q)} OR idempotency_key LIKE ${p(q.replace(/[\\%_]/g, (c) => `\\${c}`) + '%')})`);
    }
    if (filter.cursor) {
      const c = decodeCursor(filter.cursor);
      where.push(`(created_at, id) < (timestamptz 'epoch' + ${p(c.createdUs)}::bigint * interval '1 microsecond', ${p(c.id)}::uuid)`);
    }
    const limit = filter.limit;
    const { rows } = await this.sql.query(
      `SELECT ${COLUMNS}, (extract(epoch from created_at) * 1000000)::bigint AS created_us
       FROM saga_instances ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT ${p(limit + 1)}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toSagaRecord),
      nextCursor: rows.length > limit && last ? encodeCursor(String(last.created_us), last.id) : null,
    };
  }

  /**
   * Counts by name and status. Unfinished sagas are counted exactly, every time, through the
   * partial index of unfinished ones. Finished ones are counted exactly too while the table is
   * small; on a large table (over `LARGE_TABLE_ROWS`, from the planner's estimate) their counts
   * come from a snapshot refreshed in the background at most every `FINISHED_COUNTS_MAX_AGE_MS`,
   * so a dashboard polling the stats never scans millions of finished rows per request.
   */
  /**
   * A table without a snapshot of its finished counts (a small one: see countFinished) is counted
   * whole in one statement, so every count is of the same moment: a saga that finishes meanwhile is
   * counted once. A large one adds its snapshot of finished counts to exact counts of the rest.
   */
  async stats(): Promise<SagaStats> {
    const rows: CountRow[] = this.finishedSnapshot
      ? await Promise.all([
          this.sql.query(
            `SELECT name, status, count(*)::int AS n, count(*) FILTER (WHERE stuck_since IS NOT NULL)::int AS stuck
             FROM saga_instances WHERE status NOT IN (${FINISHED_STATUSES_SQL}) GROUP BY name, status`,
          ),
          this.finishedCounts(),
        ]).then(([active, finished]) => [...active.rows, ...finished])
      : await this.countAll();
    const byStatus = Object.fromEntries(SAGA_STATUSES.map((s) => [s, 0])) as Record<SagaStatus, number>;
    const byName: SagaStats['byName'] = {};
    let total = 0;
    let stuck = 0;
    for (const row of rows) {
      byStatus[row.status as SagaStatus] = (byStatus[row.status as SagaStatus] ?? 0) + row.n;
      (byName[row.name] ??= {})[row.status as SagaStatus] = row.n;
      total += row.n;
      stuck += row.stuck;
    }
    return { total, byStatus, byName, stuck };
  }

  private finishedSnapshot?: { at: number; rows: CountRow[] };
  private finishedRefresh?: Promise<CountRow[]>;

  private async finishedCounts(): Promise<CountRow[]> {
    const snapshot = this.finishedSnapshot;
    if (snapshot && Date.now() - snapshot.at < FINISHED_COUNTS_MAX_AGE_MS) return snapshot.rows;
    const refresh = (this.finishedRefresh ??= this.countFinished().finally(() => (this.finishedRefresh = undefined)));
    // A stale snapshot is answered at once while the new one is counted; none yet: wait for it.
    return snapshot ? snapshot.rows : refresh;
  }

  /** Every saga counted by name and status in one statement; keeps the finished counts as the snapshot of a large table. */
  private async countAll(): Promise<CountRow[]> {
    const { rows } = await this.sql.query(
      `SELECT name, status, count(*)::int AS n, count(*) FILTER (WHERE stuck_since IS NOT NULL)::int AS stuck,
              (SELECT reltuples FROM pg_class WHERE oid = 'saga_instances'::regclass)::float8 AS estimate
       FROM saga_instances GROUP BY name, status`,
    );
    const counts = rows.map((r: CountRow) => ({ name: r.name, status: r.status, n: r.n, stuck: r.stuck }));
    if (rows.length > 0 && Number(rows[0].estimate) > LARGE_TABLE_ROWS) {
      this.finishedSnapshot = { at: Date.now(), rows: counts.filter((r) => FINISHED_SAGA_STATUSES.includes(r.status as SagaStatus)) };
    }
    return counts;
  }

  private async countFinished(): Promise<CountRow[]> {
    const { rows } = await this.sql.query(
      `SELECT name, status, count(*)::int AS n, count(*) FILTER (WHERE stuck_since IS NOT NULL)::int AS stuck,
              (SELECT reltuples FROM pg_class WHERE oid = 'saga_instances'::regclass)::float8 AS estimate
       FROM saga_instances WHERE status IN (${FINISHED_STATUSES_SQL}) GROUP BY name, status`,
    );
    const large = rows.length > 0 && Number(rows[0].estimate) > LARGE_TABLE_ROWS;
    const counts = rows.map((r: CountRow) => ({ name: r.name, status: r.status, n: r.n, stuck: r.stuck }));
    // Only a large table keeps a snapshot: a small one is cheap to count exactly on every call.
    this.finishedSnapshot = large ? { at: Date.now(), rows: counts } : undefined;
    return counts;
  }

  async runningVersions(): Promise<SagaVersionRow[]> {
    // The predicate of ix_saga_instances_unfinished: only unfinished rows are read.
    const { rows } = await this.sql.query(
      `SELECT name, definition_version AS version, count(*)::int AS running FROM saga_instances
       WHERE status NOT IN (${FINISHED_STATUSES_SQL}) GROUP BY name, definition_version`,
    );
    return rows.map((r) => ({ name: r.name, version: Number(r.version), running: r.running }));
  }

  async findStuckCandidates(stuckAfterMs: number): Promise<StuckCandidate[]> {
    const { rows } = await this.sql.query(
      `SELECT ${COLUMNS}, now() AS db_now FROM saga_instances
       WHERE status IN (${ACTIVE_STATUSES_SQL})
         AND (updated_at < now() - ${ms('$1')}
              OR stuck_since IS NOT NULL
              OR (deadline_at < now() AND status <> 'PAUSED'))
       ORDER BY updated_at LIMIT 1000`,
      [stuckAfterMs],
    );
    return rows.map((row) => ({ saga: toSagaRecord(row), now: row.db_now }));
  }

  async markStuck(marks: StuckMark[]): Promise<void> {
    await this.sql.query(
      `WITH m AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, reason varchar, recover boolean, event jsonb)
       ), old AS (
         -- Locked and re-read: when two instances' detectors mark the same saga, the second sees the
         -- first's mark and records no second event.
         SELECT s.id, s.stuck_since, s.stuck_reason FROM saga_instances s JOIN m ON m.id = s.id ORDER BY s.id FOR UPDATE OF s
       ), u AS (
         UPDATE saga_instances s SET stuck_since = coalesce(s.stuck_since, now()), stuck_reason = m.reason,
           next_run_at = CASE WHEN m.recover THEN now() ELSE s.next_run_at END
         FROM m JOIN old ON old.id = m.id WHERE s.id = m.id
         RETURNING s.id, old.stuck_since AS was_since, old.stuck_reason AS was_reason
       ), ev AS (
         INSERT INTO saga_events (saga_id, type, step, attempt, actor, reason, error, data)
         SELECT m.id, m.event->>'type', m.event->>'step', (m.event->>'attempt')::int, m.event->>'actor',
           m.event->>'reason', m.event->'error', m.event->'data'
         FROM m JOIN u ON u.id = m.id
         WHERE m.event IS NOT NULL AND m.event <> 'null'::jsonb
           AND (u.was_since IS NULL OR u.was_reason IS DISTINCT FROM m.reason)
       ), c AS (
         UPDATE saga_instances SET stuck_since = NULL, stuck_reason = NULL
         WHERE stuck_since IS NOT NULL AND id NOT IN (SELECT id FROM m)
         RETURNING id
       )
       SELECT (SELECT count(*) FROM u) AS marked, (SELECT count(*) FROM c) AS cleared`,
      [JSON.stringify(marks.map((m) => ({ id: m.sagaId, reason: m.reason, recover: m.recover, event: m.event })))],
    );
  }

  async ping(): Promise<void> {
    await this.sql.query('SELECT 1');
  }
}

type Run = (text: string, values?: unknown[]) => Promise<{ rows: any[]; rowCount: number | null }>;

/**
 * One attempt's transaction. The QueryRunner behind `manager` sends `START TRANSACTION` before the
 * attempt's first statement (TypeORM sees a transaction already active, so the step's own
 * `manager.transaction(...)` becomes a savepoint and `save()` adds none). `commit` closes the door
 * to the attempt's code, then sends the fenced checkpoint and `COMMIT` on the same connection: the
 * `UPDATE ... WHERE fence = ...` locks the saga row and, under READ COMMITTED, is evaluated against
 * the latest committed fence, so a stale owner's checkpoint finds no row and its transaction (the
 * step's writes with it) rolls back. Round trips: the step's own statements, plus
 * `START TRANSACTION`, the checkpoint and `COMMIT`; one commit, as for a plain step.
 */
class PgStepTransaction implements StepTransaction {
  readonly manager;
  private begun: Promise<unknown> | null = null;
  private closed = false;
  private readonly run: Run;

  constructor(
    private readonly runner: QueryRunner,
    private readonly store: PostgresSagaStore,
  ) {
    const query = runner.query.bind(runner) as (text: string, values?: unknown[], structured?: boolean) => Promise<any>;
    this.run = async (text, values) => {
      const result = await query(text, values, true);
      return { rows: result.records ?? [], rowCount: result.affected ?? null };
    };
    const mutable = runner as { -readonly [K in keyof QueryRunner]: QueryRunner[K] };
    mutable.isTransactionActive = true;
    (runner as unknown as { transactionDepth: number }).transactionDepth = 1;
    mutable.query = ((text: string, values?: unknown[], structured?: boolean) => {
      if (this.closed) return Promise.reject(new Error('This attempt of a transactional step has settled: its transaction accepts no more statements.'));
      this.begun ??= query('START TRANSACTION');
      return this.begun.then(() => query(text, values, structured));
    }) as QueryRunner['query'];
    this.manager = runner.manager;
  }

  async commit(cp: Checkpoint): Promise<CheckpointResult> {
    if (this.closed) throw new Error('The transaction of this attempt is already closed.');
    this.closed = true;
    if (!this.begun) {
      // Nothing was written: the checkpoint rides with the others.
      await this.release();
      return this.store.checkpoint(cp);
    }
    let result: CheckpointResult;
    try {
      await this.begun;
      result = await this.store.checkpointAndCommit((await this.runner.connect()) as PgConnection, cp);
    } catch (error) {
      // The checkpoint failed (COMMIT did not run), or the connection broke (the COMMIT's fate is
      // unknown): roll back whatever is left, and let the caller read the saga back.
      await this.rollback(false);
      throw error;
    }
    if (!result.ok) await this.rollback(false);
    else await this.release();
    return result;
  }

  async rollback(destroy: boolean): Promise<void> {
    this.closed = true;
    if (this.begun && !destroy) {
      try {
        await this.begun;
        await this.run('ROLLBACK');
      } catch (error) {
        destroy = true;
      }
    }
    await this.release(destroy ? new Error('transactional step attempt settled: connection closed') : undefined);
  }

  /** With an error the pool closes the connection (an open transaction on it is rolled back by the server). */
  private async release(error?: Error): Promise<void> {
    const runner = this.runner as QueryRunner & { releasePostgresConnection?: (err?: Error) => Promise<void> };
    try {
      if (error && runner.releasePostgresConnection) await runner.releasePostgresConnection(error);
      else await runner.release();
    } catch {
      // Already released.
    }
  }
}
