/**
 * SagaStore on Redis 7 (node-redis). One hash per saga; every engine write is one Lua script, so the
 * fence check, the saga, its indexes and its history change atomically; due times live in a sorted
 * set; the list view pages through sorted sets ordered by (created desc, id desc). The store's
 * clock is the Redis server's `TIME`. See docs/design.md for the key layout.
 */
import { createHash } from 'node:crypto';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { SagaStats, SagaStatus } from '@nest-saga/contracts';
import { SAGA_STATUSES } from '@nest-saga/contracts';
import { createClient } from 'redis';
import { SagaConfigurationError, SagaQueryError } from '../../errors/saga.errors.js';
import { hasNetworkCode } from '../network-errors.js';
import type { NewSagaEvent, SagaEventRecord, SagaRecord, SagaRequest } from '../saga.records.js';
import { isUuid, storedEvent } from '../stored-values.js';
import { FINISHED_SAGA_STATUSES } from '../saga-status-sets.js';
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
} from '../saga.store.js';
import { REDIS_SCRIPTS, type RedisScriptName } from './redis-scripts.js';

/** The one method of a node-redis client the store uses. */
export interface RedisCommander {
  sendCommand(args: (string | Buffer)[]): Promise<unknown>;
}

export interface RedisSagaStoreOptions {
  /** `redis://host:port/db`. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /**
   * Prefix of every key the store writes, so several apps (or tests) share one Redis. A colon is
   * appended. @default 'nest-saga'
   */
  keyPrefix?: string;
  /**
   * A connected node-redis client to use instead of one the store opens (and closes) itself; the
   * store never closes a client it was given.
   */
  client?: RedisCommander;
}

const FINISHED = new Set<string>(FINISHED_SAGA_STATUSES);
const CURSOR_ERROR = 'The cursor is not one this API returned; start again without a cursor.';

type Hash = Record<string, string>;

/** A hash as a script returns it (a flat array) or as the client decodes HGETALL (an object or a Map). */
function toHash(flat: unknown): Hash {
  if (flat instanceof Map) return Object.fromEntries(flat) as Hash;
  if (!Array.isArray(flat)) return { ...(flat as Hash) };
  const out: Hash = {};
  const items = flat as string[];
  for (let i = 0; i + 1 < items.length; i += 2) out[items[i]] = items[i + 1];
  return out;
}

const usToDate = (value: string | undefined): Date | null => (value === undefined ? null : new Date(Math.floor(Number(value) / 1000)));
const json = (value: string | undefined): any => (value === undefined ? null : JSON.parse(value));

function toRecord(h: Hash): SagaRecord {
  return {
    id: h.id,
    name: h.name,
    version: Number(h.version),
    status: h.status as SagaStatus,
    input: json(h.input),
    currentStep: Number(h.currentStep),
    idempotencyKey: h.idem ?? null,
    ownerId: h.owner ?? null,
    leaseExpiresAt: usToDate(h.lease),
    fence: Number(h.fence),
    nextRunAt: usToDate(h.nextRun),
    deadlineAt: usToDate(h.deadline),
    deadlineHandledAt: usToDate(h.deadlineHandled),
    compensationCause: (h.cause ?? null) as SagaRecord['compensationCause'],
    request: json(h.request),
    error: json(h.error),
    steps: json(h.steps) ?? [],
    createdAt: usToDate(h.created)!,
    updatedAt: usToDate(h.updated)!,
    finishedAt: usToDate(h.finished),
    stuckSince: usToDate(h.stuckSince),
    stuckReason: (h.stuckReason ?? null) as SagaRecord['stuckReason'],
    traceContext: json(h.trace),
    plan: json(h.plan),
  };
}

function eventJson(e: NewSagaEvent): string {
  return JSON.stringify(storedEvent(e));
}

function toEvent(sagaId: string, stored: string): SagaEventRecord {
  const { id, at, e } = JSON.parse(stored) as { id: string; at: number; e: NewSagaEvent };
  return { id, sagaId, at: new Date(Math.floor(at / 1000)), ...storedEvent(e) };
}

/** How a request's step is compared inside the scripts (null and a step named '' stay apart). */
const stepKey = (step: string | null) => (step === null ? 'n' : `s:${step}`);

interface Position {
  score: number;
  id: string;
}

interface Row {
  saga: SagaRecord;
  pos: Position;
}

const before = (a: Position, b: Position) => a.score > b.score || (a.score === b.score && a.id > b.id);

/** node-redis errors that mean the server was not reached or the connection went away. */
const REDIS_CONNECTION_ERRORS = new Set(['ConnectionTimeoutError', 'SocketTimeoutError', 'ClientOfflineError', 'SocketClosedUnexpectedlyError', 'DisconnectsClientError', 'ReconnectStrategyError']);

export class RedisSagaStore extends SagaStore implements OnApplicationShutdown {
  private readonly logger = new Logger('RedisSagaStore');
  private readonly prefix: string;
  private readonly shas = new Map<RedisScriptName, string>();
  private client: RedisCommander | undefined;
  private connecting: Promise<RedisCommander> | undefined;
  private closeOwned: (() => Promise<void>) | undefined;
  private closed = false;
  /** Commands and scripts sent so far (the benchmark reports them per saga). */
  commands = 0;

  constructor(private readonly options: RedisSagaStoreOptions = {}) {
    super();
    this.prefix = `${options.keyPrefix ?? 'nest-saga'}:`;
    this.client = options.client;
  }

  override isUnreachable(error: unknown): boolean {
    if (this.closed) return false;
    const name = (error as { name?: unknown } | null)?.name;
    return (typeof name === 'string' && REDIS_CONNECTION_ERRORS.has(name)) || hasNetworkCode(error);
  }

  /** The prefix every key of this store starts with (including its trailing colon). */
  get keyPrefix(): string {
    return this.prefix;
  }

  private connection(): Promise<RedisCommander> {
    if (this.client) return Promise.resolve(this.client);
    if (this.closed) return Promise.reject(new Error('RedisSagaStore is closed.'));
    this.connecting ??= (async () => {
      let connected = false;
      const client = createClient({
        url: this.options.url ?? 'redis://127.0.0.1:6379',
        // Commands fail at once while the server is unreachable; the engine retries on its next poll.
        disableOfflineQueue: true,
        socket: {
          connectTimeout: 5_000,
          // A first connection that fails is reported to the caller (the next call tries again);
          // a connection lost later is re-established in the background.
          reconnectStrategy: (retries: number, cause: Error) => (connected ? Math.min(50 * 2 ** retries, 2_000) : cause),
        },
      });
      let warned = false;
      client.on('error', (error: Error) => {
        if (!warned) this.logger.warn(`Redis connection error: ${error.message}`);
        warned = true;
      });
      client.on('ready', () => (warned = false));
      try {
        await client.connect();
        connected = true;
        const info = String(await client.sendCommand(['INFO', 'server']));
        const [major, minor] = (/redis_version:(\d+)\.(\d+)/.exec(info) ?? []).slice(1).map(Number);
        // ZRANGE ... BYSCORE REV and script effects replication (TIME inside scripts) need 6.2+.
        if (major !== undefined && (major < 6 || (major === 6 && minor < 2))) {
          throw new SagaConfigurationError(`RedisSagaStore needs Redis 7 (6.2 at least); the server at ${this.options.url ?? 'redis://127.0.0.1:6379'} runs ${major}.${minor}.`);
        }
      } catch (error) {
        this.connecting = undefined;
        try {
          client.destroy();
        } catch {
          // Never connected: nothing to destroy.
        }
        throw error;
      }
      if (this.closed) {
        // Closed while this connection was being made: do not keep it.
        await client.close().catch(() => undefined);
        throw new Error('RedisSagaStore is closed.');
      }
      this.closeOwned = async () => {
        await client.close();
      };
      this.client = client as unknown as RedisCommander;
      return this.client;
    })();
    return this.connecting;
  }

  private async send(args: (string | Buffer)[]): Promise<any> {
    const client = await this.connection();
    this.commands++;
    return client.sendCommand(args);
  }

  /** Runs a script by its SHA, loading it on first use or when the server forgot it (restart, SCRIPT FLUSH). */
  private async run(name: RedisScriptName, args: (string | number)[]): Promise<any> {
    const argv = [this.prefix, ...args.map(String)];
    let sha = this.shas.get(name);
    if (!sha) {
      sha = createHash('sha1').update(REDIS_SCRIPTS[name]).digest('hex');
      this.shas.set(name, sha);
    }
    try {
      return await this.send(['EVALSHA', sha, '0', ...argv]);
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
      return this.send(['EVAL', REDIS_SCRIPTS[name], '0', ...argv]);
    }
  }

  /** Connects at bootstrap, so the first saga does not wait for it; a failure is logged and retried on use. */
  override init(): void {
    void this.connection().catch((error: Error) => this.logger.warn(`Redis connection at bootstrap failed (tried again on use): ${error.message}`));
  }

  /** Closes the connection the store opened (never a client it was given). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const close = this.closeOwned;
    this.closeOwned = undefined;
    if (close) {
      this.client = undefined;
      await close().catch(() => undefined);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async insert(saga: NewSaga, events: NewSagaEvent[]): Promise<{ saga: SagaRecord; created: boolean }> {
    const [created, flat] = await this.run('insert', [
      saga.id,
      saga.name,
      saga.version,
      saga.status,
      JSON.stringify(saga.input ?? null),
      saga.idempotencyKey ?? '',
      saga.ownerId ?? '',
      saga.leaseMs,
      saga.deadlineMs ?? '',
      JSON.stringify(saga.steps),
      saga.traceContext ? JSON.stringify(saga.traceContext) : '',
      saga.plan ? JSON.stringify(saga.plan) : '',
      ...events.map(eventJson),
    ]);
    return { saga: toRecord(toHash(flat)), created: created === 1 };
  }

  async checkpoint(cp: Checkpoint): Promise<CheckpointResult> {
    const [ok, request] = await this.run('checkpoint', [
      cp.sagaId,
      cp.ownerId,
      cp.fence,
      cp.status,
      cp.currentStep,
      JSON.stringify(cp.steps),
      cp.error ? JSON.stringify(cp.error) : '',
      cp.compensationCause ?? '',
      cp.deadlineHandled ? '1' : '0',
      cp.finished ? '1' : '0',
      cp.release ? '1' : '0',
      cp.leaseMs,
      cp.nextRunInMs ?? '',
      cp.clearRequestToken ?? '',
      cp.seq ?? '',
      ...cp.events.map(eventJson),
    ]);
    if (ok !== 1) return { ok: false, request: null };
    return { ok: true, request: request ? (JSON.parse(request) as SagaRequest) : null };
  }

  private claimed(rows: [string, string[]][]): ClaimedSaga[] {
    return rows.map(([previous, flat]) => ({ saga: toRecord(toHash(flat)), previousOwner: previous || null }));
  }

  async claimDue(ownerId: string, limit: number, leaseMs: number): Promise<ClaimedSaga[]> {
    if (limit <= 0) return [];
    return this.claimed(await this.run('claimDue', [ownerId, limit, leaseMs]));
  }

  async reclaim(ownerId: string, limit: number, leaseMs: number): Promise<ClaimedSaga[]> {
    return this.claimed(await this.run('reclaim', [ownerId, Math.max(0, limit), leaseMs]));
  }

  async claimOne(sagaId: string, ownerId: string, leaseMs: number): Promise<ClaimedSaga | null> {
    return this.claimed(await this.run('claimOne', [sagaId, ownerId, leaseMs]))[0] ?? null;
  }

  async renewLeases(ownerId: string, sagas: { sagaId: string; fence: number }[], leaseMs: number): Promise<LeaseRenewal[]> {
    if (!sagas.length) return [];
    const rows: [string, string, string][] = await this.run('renewLeases', [ownerId, leaseMs, ...sagas.flatMap((s) => [s.sagaId, s.fence])]);
    return rows.map(([sagaId, fence, request]) => ({ sagaId, fence: Number(fence), request: request ? JSON.parse(request) : null }));
  }

  async pendingRequests(ownerId: string): Promise<LeaseRenewal[]> {
    const rows: [string, string, string][] = await this.run('pendingRequests', [ownerId]);
    return rows.map(([sagaId, fence, request]) => ({ sagaId, fence: Number(fence), request: JSON.parse(request) }));
  }

  async releaseAll(ownerId: string, sagas: { sagaId: string; fence: number }[], delayMs = 0): Promise<void> {
    if (!sagas.length) return;
    await this.run('releaseAll', [ownerId, delayMs, ...sagas.flatMap((s) => [s.sagaId, s.fence])]);
  }

  async request(sagaId: string, request: SagaRequest, allowed: SagaStatus[], event: NewSagaEvent | null): Promise<SagaRecord | null> {
    const flat: string[] = await this.run('request', [
      sagaId,
      JSON.stringify(request),
      request.token,
      request.action,
      stepKey(request.step),
      event ? eventJson(event) : '',
      ...allowed,
    ]);
    return flat.length ? toRecord(toHash(flat)) : null;
  }

  async appendEvents(sagaId: string, events: NewSagaEvent[]): Promise<void> {
    if (!events.length) return;
    await this.run('appendEvents', [sagaId, ...events.map(eventJson)]);
  }

  async get(sagaId: string): Promise<SagaRecord | null> {
    const h = toHash(await this.send(['HGETALL', `${this.prefix}s:${sagaId}`]));
    return h.id ? toRecord(h) : null;
  }

  async getEvents(sagaId: string): Promise<SagaEventRecord[]> {
    const items: string[] = await this.send(['LRANGE', `${this.prefix}ev:${sagaId}`, '0', '-1']);
    return items.map((item) => toEvent(sagaId, item));
  }

  /** Up to `count` entries of a (created, id) sorted set strictly after `after`, newest first. */
  private async entriesAfter(key: string, after: Position | null, count: number): Promise<Position[]> {
    // WITHSCORES comes as [member, score] pairs, or flat from a plain RESP2 reply.
    const pairs = (reply: unknown[]) => {
      const out: Position[] = [];
      if (reply.length && Array.isArray(reply[0])) for (const [id, score] of reply as [string, unknown][]) out.push({ id, score: Number(score) });
      else for (let i = 0; i + 1 < reply.length; i += 2) out.push({ id: String(reply[i]), score: Number(reply[i + 1]) });
      return out;
    };
    if (!after) return pairs(await this.send(['ZRANGE', key, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '0', String(count), 'WITHSCORES']));
    const [same, older] = await Promise.all([
      this.send(['ZRANGE', key, String(after.score), String(after.score), 'BYSCORE', 'WITHSCORES']),
      this.send(['ZRANGE', key, `(${after.score}`, '-inf', 'BYSCORE', 'REV', 'LIMIT', '0', String(count), 'WITHSCORES']),
    ]);
    const ties = pairs(same)
      .filter((p) => p.id < after.id)
      .sort((a, b) => (a.id < b.id ? 1 : -1));
    return [...ties, ...pairs(older)].slice(0, count);
  }

  async list(filter: SagaListFilter): Promise<SagaListPage> {
    let after: Position | null = null;
    if (filter.cursor) {
      const [score, id] = Buffer.from(filter.cursor, 'base64url').toString('utf8').split(':');
      if (!score || !/^\d{1,18}$/.test(score) || !id || !isUuid(id)) throw new SagaQueryError(CURSOR_ERROR, 'cursor');
      after = { score: Number(score), id };
    }
    const statuses = filter.status?.length ? new Set<string>(filter.status) : null;
    const q = filter.q?.trim();
    const keep = ({ saga: r }: Row) =>
      (!statuses || statuses.has(r.status)) && (!filter.name || r.name === filter.name) && (!filter.stuck || r.stuckSince !== null);
    const limit = filter.limit;
    let found: Row[];

    if (q) {
      // Candidates from the idempotency-key index (exact or prefix), and the id itself.
      const ids = new Set<string>();
      const members: string[] = await this.send(['ZRANGE', `${this.prefix}ik`, `[${q}`, Buffer.concat([Buffer.from(`[${q}`), Buffer.from([0xff])]), 'BYLEX', 'LIMIT', '0', '10000']);
      const byId = isUuid(q);
      for (const m of members) {
        const cut = m.lastIndexOf('\0');
        const key = m.slice(0, cut);
        // A UUID searches by id or exact key; anything else by key prefix.
        if (byId ? key === q : key.startsWith(q)) ids.add(m.slice(cut + 1));
      }
      if (byId) ids.add(q);
      found = (await this.rows([...ids]))
        .filter(keep)
        .sort((a, b) => (before(a.pos, b.pos) ? -1 : 1))
        .filter((r) => !after || before(after, r.pos))
        .slice(0, limit + 1);
    } else {
      // Walk the smallest index that covers the filter (the other conditions are checked on the hashes).
      const options: string[][] = [['all']];
      if (filter.name) options.push([`nm:${filter.name}`]);
      if (statuses) options.push([...statuses].map((st) => `st:${st}`));
      if (filter.stuck) options.push(['stuck']);
      let sources = options[0];
      if (options.length > 2) {
        const sizes = await Promise.all(options.map(async (keys) => (await Promise.all(keys.map((k) => this.send(['ZCARD', this.prefix + k])))).reduce((a: number, n) => a + Number(n), 0)));
        sources = options[sizes.indexOf(Math.min(...sizes))];
      } else if (options.length === 2) {
        sources = options[1];
      }
      found = [];
      const batch = Math.min(Math.max(limit + 1, 50), 1000);
      while (found.length <= limit) {
        const fetched = (await Promise.all(sources.map((s) => this.entriesAfter(this.prefix + s, after, batch)))).flat();
        if (!fetched.length) break;
        // Each source gave its newest `batch` after the cursor, so the newest `batch` of them all are exact.
        const next = fetched.sort((a, b) => (before(a, b) ? -1 : 1)).slice(0, batch);
        found.push(...(await this.rows(next.map((p) => p.id))).filter(keep));
        after = next[next.length - 1];
      }
      found = found.slice(0, limit + 1);
    }
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = found.length > limit && last ? Buffer.from(`${last.pos.score}:${last.pos.id}`).toString('base64url') : null;
    return { items: page.map((r) => r.saga), nextCursor };
  }

  /** Sagas with their exact list position (creation time in microseconds, id), in the order of `ids`. */
  private async rows(ids: string[]): Promise<Row[]> {
    const hashes = (await Promise.all(ids.map((id) => this.send(['HGETALL', `${this.prefix}s:${id}`])))).map(toHash);
    return hashes.filter((h) => h.id).map((h) => ({ saga: toRecord(h), pos: { score: Number(h.created), id: h.id } }));
  }

  async stats(): Promise<SagaStats> {
    const [counts, stuck] = await Promise.all([this.send(['HGETALL', `${this.prefix}count`]), this.send(['ZCARD', `${this.prefix}stuck`])]);
    const byStatus = Object.fromEntries(SAGA_STATUSES.map((s) => [s, 0])) as Record<SagaStatus, number>;
    const byName: SagaStats['byName'] = {};
    let total = 0;
    for (const [field, value] of Object.entries(toHash(counts))) {
      const n = Number(value);
      if (!n) continue;
      const cut = field.lastIndexOf('\0');
      const name = field.slice(0, cut);
      const status = field.slice(cut + 1) as SagaStatus;
      byStatus[status] = (byStatus[status] ?? 0) + n;
      (byName[name] ??= {})[status] = n;
      total += n;
    }
    return { total, byStatus, byName, stuck: Number(stuck) };
  }

  async runningVersions(): Promise<SagaVersionRow[]> {
    const rows: SagaVersionRow[] = [];
    for (const [field, value] of Object.entries(toHash(await this.send(['HGETALL', `${this.prefix}ver`])))) {
      const running = Number(value);
      if (!running) continue;
      const cut = field.lastIndexOf('\0');
      rows.push({ name: field.slice(0, cut), version: Number(field.slice(cut + 1)), running });
    }
    return rows;
  }

  async findStuckCandidates(stuckAfterMs: number): Promise<StuckCandidate[]> {
    const [nowUs, ...flats]: [string, ...string[][]] = await this.run('stuckCandidates', [stuckAfterMs]);
    const now = usToDate(nowUs)!;
    return flats
      .map((flat) => toRecord(toHash(flat)))
      .filter((r) => !FINISHED.has(r.status))
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, 1000)
      .map((saga) => ({ saga, now }));
  }

  async markStuck(marks: StuckMark[]): Promise<void> {
    await this.run(
      'markStuck',
      marks.flatMap((m) => [m.sagaId, m.reason, m.recover ? '1' : '0', m.event ? eventJson(m.event) : '']),
    );
  }

  async ping(): Promise<void> {
    const reply = await this.send(['PING']);
    if (reply !== 'PONG') throw new Error(`Redis answered PING with ${String(reply)}`);
  }
}
