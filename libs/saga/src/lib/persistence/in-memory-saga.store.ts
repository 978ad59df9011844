/**
 * A SagaStore in process memory, with the same fencing and claim rules as the PostgreSQL store, for
 * users' unit tests of their own sagas. Not durable: a restart loses everything. It has no database
 * transaction to share with a step, so it runs no transactional step: registering one fails the
 * bootstrap with `TransactionalStepsUnsupportedError` (test those steps alone with `StepTestRunner`
 * and a `manager`, or their sagas on PostgreSQL).
 */
import type { SagaStats, SagaStatus } from '@nest-saga/contracts';
import { SAGA_STATUSES } from '@nest-saga/contracts';
import { SagaQueryError } from '../errors/saga.errors.js';
import type { NewSagaEvent, SagaEventRecord, SagaRecord, SagaRequest } from './saga.records.js';
import { isUuid, startedRecord, storedEvent } from './stored-values.js';
import { ACTIVE_SAGA_STATUSES, FINISHED_SAGA_STATUSES } from './saga-status-sets.js';
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
} from './saga.store.js';

const clone = <T>(value: T): T => structuredClone(value);

/** The fence of every engine write: the caller still owns the saga under the fence it claimed. */
const holds = (rec: SagaRecord | undefined, ownerId: string, fence: number): rec is SagaRecord =>
  rec !== undefined && rec.ownerId === ownerId && rec.fence === fence;

/** Nobody holds the saga: it has no owner, or its owner's lease has expired. */
const unheld = (rec: SagaRecord, now: Date): boolean => rec.ownerId === null || (rec.leaseExpiresAt !== null && rec.leaseExpiresAt < now);

export class InMemorySagaStore extends SagaStore {
  private readonly sagas = new Map<string, SagaRecord>();
  /** The last checkpoint applied per saga, as owner, fence and seq: a retry of it is not applied again. */
  private readonly lastWrites = new Map<string, string>();
  private readonly events: SagaEventRecord[] = [];
  private seq = 0;
  private tick = 0;

  private now(): Date {
    return new Date();
  }

  private append(sagaId: string, events: NewSagaEvent[]): void {
    for (const e of events) this.events.push({ id: String(++this.seq), sagaId, at: this.now(), ...storedEvent(e) });
  }

  async insert(saga: NewSaga, events: NewSagaEvent[]): Promise<{ saga: SagaRecord; created: boolean }> {
    // Its id already stored: this same start sent again (its reply lost), created by this start.
    const same = this.sagas.get(saga.id);
    if (same) return { saga: clone(same), created: true };
    if (saga.idempotencyKey !== null) {
      const existing = [...this.sagas.values()].find((s) => s.idempotencyKey === saga.idempotencyKey);
      if (existing) return { saga: clone(existing), created: false };
    }
    const now = this.now();
    // Creation times are strictly increasing so that paging order is total, as in PostgreSQL.
    const createdAt = new Date(Math.max(now.getTime(), this.tick + 1));
    this.tick = createdAt.getTime();
    const owned = saga.ownerId !== null;
    const rec = startedRecord(
      saga,
      {
        ownerId: saga.ownerId,
        leaseExpiresAt: owned ? new Date(now.getTime() + saga.leaseMs) : null,
        fence: owned ? 1 : 0,
        nextRunAt: owned ? new Date(now.getTime() + saga.leaseMs) : now,
        deadlineAt: saga.deadlineMs === null ? null : new Date(now.getTime() + saga.deadlineMs),
        createdAt,
        updatedAt: now,
      },
      clone(saga.steps),
    );
    this.sagas.set(rec.id, rec);
    this.append(rec.id, events);
    return { saga: clone(rec), created: true };
  }

  async checkpoint(cp: Checkpoint): Promise<CheckpointResult> {
    const rec = this.sagas.get(cp.sagaId);
    const write = cp.seq === undefined ? null : `${cp.ownerId}\0${cp.fence}\0${cp.seq}`;
    // The same write sent again (the caller never saw the first reply): applied already.
    if (rec && write !== null && this.lastWrites.get(rec.id) === write) return { ok: true, request: clone(rec.request) };
    if (!holds(rec, cp.ownerId, cp.fence)) return { ok: false, request: null };
    if (write !== null) this.lastWrites.set(rec.id, write);
    const now = this.now();
    Object.assign(rec, {
      status: cp.status,
      currentStep: cp.currentStep,
      steps: clone(cp.steps),
      error: clone(cp.error),
      compensationCause: cp.compensationCause,
      deadlineHandledAt: cp.deadlineHandled ? (rec.deadlineHandledAt ?? now) : null,
      finishedAt: cp.finished ? (rec.finishedAt ?? now) : null,
      updatedAt: now,
    });
    const requestLeft = rec.request !== null && rec.request.token !== cp.clearRequestToken;
    if (cp.release) {
      rec.ownerId = null;
      rec.leaseExpiresAt = null;
      rec.nextRunAt = requestLeft ? now : cp.nextRunInMs === null ? null : new Date(now.getTime() + cp.nextRunInMs);
    } else {
      rec.leaseExpiresAt = new Date(now.getTime() + cp.leaseMs);
    }
    if (rec.request && rec.request.token === cp.clearRequestToken) rec.request = null;
    if (!(rec.stuckReason === 'DEADLINE_PASSED' && !cp.finished)) {
      rec.stuckSince = null;
      rec.stuckReason = null;
    }
    this.append(rec.id, cp.events);
    return { ok: true, request: clone(rec.request) };
  }

  private claimable(rec: SagaRecord, now: Date): boolean {
    return rec.nextRunAt !== null && rec.nextRunAt <= now && unheld(rec, now);
  }

  private take(rec: SagaRecord, ownerId: string, leaseMs: number): ClaimedSaga {
    const now = this.now();
    const previousOwner = rec.ownerId;
    rec.ownerId = ownerId;
    rec.fence += 1;
    rec.leaseExpiresAt = new Date(now.getTime() + leaseMs);
    rec.nextRunAt = rec.leaseExpiresAt;
    if (previousOwner) this.append(rec.id, [{ type: 'LEASE_TAKEN_OVER', actor: ownerId, data: { previousOwner, newOwner: ownerId, fence: rec.fence } }]);
    return { saga: clone(rec), previousOwner };
  }

  async claimDue(ownerId: string, limit: number, leaseMs: number): Promise<ClaimedSaga[]> {
    const now = this.now();
    return [...this.sagas.values()]
      .filter((r) => this.claimable(r, now))
      .sort((a, b) => a.nextRunAt!.getTime() - b.nextRunAt!.getTime())
      .slice(0, limit)
      .map((r) => this.take(r, ownerId, leaseMs));
  }

  async reclaim(ownerId: string, limit: number, leaseMs: number): Promise<ClaimedSaga[]> {
    const now = this.now();
    const owned = [...this.sagas.values()]
      .filter((r) => r.ownerId === ownerId && ACTIVE_SAGA_STATUSES.includes(r.status))
      .sort((a, b) => (a.nextRunAt?.getTime() ?? -Infinity) - (b.nextRunAt?.getTime() ?? -Infinity) || (a.id < b.id ? -1 : 1));
    for (const rec of owned.slice(limit)) {
      rec.leaseExpiresAt = new Date(now.getTime() - 1);
      rec.nextRunAt = now;
    }
    return owned.slice(0, limit).map((rec) => {
      rec.fence += 1;
      rec.leaseExpiresAt = new Date(now.getTime() + leaseMs);
      rec.nextRunAt = rec.leaseExpiresAt;
      this.append(rec.id, [{ type: 'LEASE_TAKEN_OVER', actor: ownerId, data: { previousOwner: ownerId, newOwner: ownerId, fence: rec.fence, restart: true } }]);
      return { saga: clone(rec), previousOwner: ownerId };
    });
  }

  async claimOne(sagaId: string, ownerId: string, leaseMs: number): Promise<ClaimedSaga | null> {
    const rec = this.sagas.get(sagaId);
    const now = this.now();
    if (!rec || !unheld(rec, now)) return null;
    return this.take(rec, ownerId, leaseMs);
  }

  async renewLeases(ownerId: string, sagas: { sagaId: string; fence: number }[], leaseMs: number): Promise<LeaseRenewal[]> {
    const now = this.now();
    const out: LeaseRenewal[] = [];
    for (const { sagaId, fence } of sagas) {
      const rec = this.sagas.get(sagaId);
      if (!holds(rec, ownerId, fence)) continue;
      rec.leaseExpiresAt = new Date(now.getTime() + leaseMs);
      out.push({ sagaId, fence, request: clone(rec.request) });
    }
    return out;
  }

  async pendingRequests(ownerId: string): Promise<LeaseRenewal[]> {
    return [...this.sagas.values()]
      .filter((r) => r.request !== null && r.ownerId === ownerId)
      .map((r) => ({ sagaId: r.id, fence: r.fence, request: clone(r.request) }));
  }

  async releaseAll(ownerId: string, sagas: { sagaId: string; fence: number }[], delayMs = 0): Promise<void> {
    for (const { sagaId, fence } of sagas) {
      const rec = this.sagas.get(sagaId);
      if (!holds(rec, ownerId, fence)) continue;
      rec.ownerId = null;
      rec.leaseExpiresAt = null;
      rec.nextRunAt = new Date(this.now().getTime() + delayMs);
    }
  }

  async request(sagaId: string, request: SagaRequest, allowed: SagaStatus[], event: NewSagaEvent | null): Promise<SagaRecord | null> {
    const rec = this.sagas.get(sagaId);
    if (!rec || !allowed.includes(rec.status)) return null;
    // The same request already waiting is returned as it is, with no second history row.
    if (rec.request) return rec.request.action === request.action && rec.request.step === request.step ? clone(rec) : null;
    const now = this.now();
    rec.request = clone(request);
    if (unheld(rec, now)) rec.nextRunAt = now;
    if (event) this.append(rec.id, [event]);
    return clone(rec);
  }

  async appendEvents(sagaId: string, events: NewSagaEvent[]): Promise<void> {
    this.append(sagaId, events);
  }

  async get(sagaId: string): Promise<SagaRecord | null> {
    const rec = this.sagas.get(sagaId);
    return rec ? clone(rec) : null;
  }

  async getEvents(sagaId: string): Promise<SagaEventRecord[]> {
    return clone(this.events.filter((e) => e.sagaId === sagaId));
  }

  async list(filter: SagaListFilter): Promise<SagaListPage> {
    let after: { t: number; id: string } | null = null;
    if (filter.cursor) {
      const [t, id] = Buffer.from(filter.cursor, 'base64url').toString('utf8').split('|');
      if (!t || !id || Number.isNaN(Number(t))) throw new SagaQueryError('The cursor is not one this API returned; start again without a cursor.', 'cursor');
      after = { t: Number(t), id };
    }
    const q = filter.q?.trim();
    const rows = [...this.sagas.values()]
      .filter((r) => !filter.status?.length || filter.status.includes(r.status))
      .filter((r) => !filter.name || r.name === filter.name)
      .filter((r) => !filter.stuck || r.stuckSince !== null)
      // As in PostgreSQL: a UUID matches the id or the exact key; anything else a key prefix.
      .filter((r) => !q || (isUuid(q) ? r.id === q || r.idempotencyKey === q : (r.idempotencyKey ?? '').startsWith(q)))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .filter((r) => !after || r.createdAt.getTime() < after.t || (r.createdAt.getTime() === after.t && r.id < after.id));
    const items = rows.slice(0, filter.limit);
    const last = items[items.length - 1];
    return {
      items: clone(items),
      nextCursor: rows.length > filter.limit && last ? Buffer.from(`${last.createdAt.getTime()}|${last.id}`).toString('base64url') : null,
    };
  }

  async stats(): Promise<SagaStats> {
    const byStatus = Object.fromEntries(SAGA_STATUSES.map((s) => [s, 0])) as Record<SagaStatus, number>;
    const byName: SagaStats['byName'] = {};
    let stuck = 0;
    for (const r of this.sagas.values()) {
      byStatus[r.status]++;
      const n = (byName[r.name] ??= {});
      n[r.status] = (n[r.status] ?? 0) + 1;
      if (r.stuckSince) stuck++;
    }
    return { total: this.sagas.size, byStatus, byName, stuck };
  }

  async runningVersions(): Promise<SagaVersionRow[]> {
    const counts = new Map<string, SagaVersionRow>();
    for (const r of this.sagas.values()) {
      if (FINISHED_SAGA_STATUSES.includes(r.status)) continue;
      const key = `${r.version}:${r.name}`;
      const row = counts.get(key) ?? { name: r.name, version: r.version, running: 0 };
      row.running += 1;
      counts.set(key, row);
    }
    return [...counts.values()];
  }

  async findStuckCandidates(stuckAfterMs: number): Promise<StuckCandidate[]> {
    const now = this.now();
    return [...this.sagas.values()]
      .filter((r) => ACTIVE_SAGA_STATUSES.includes(r.status))
      .filter(
        (r) =>
          now.getTime() - r.updatedAt.getTime() > stuckAfterMs ||
          r.stuckSince !== null ||
          (r.deadlineAt !== null && r.deadlineAt < now && r.status !== 'PAUSED'),
      )
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, 1000)
      .map((r) => ({ saga: clone(r), now }));
  }

  async markStuck(marks: StuckMark[]): Promise<void> {
    const now = this.now();
    const ids = new Set(marks.map((m) => m.sagaId));
    for (const r of this.sagas.values()) {
      if (!ids.has(r.id) && r.stuckSince) {
        r.stuckSince = null;
        r.stuckReason = null;
      }
    }
    for (const m of marks) {
      const r = this.sagas.get(m.sagaId);
      if (!r) continue;
      // As in PostgreSQL: the event is recorded when the saga becomes stuck or its reason changes.
      const fresh = r.stuckSince === null || r.stuckReason !== m.reason;
      r.stuckSince ??= now;
      r.stuckReason = m.reason;
      if (m.recover) r.nextRunAt = now;
      if (m.event && fresh) this.append(r.id, [m.event]);
    }
  }

  async ping(): Promise<void> {}
}
