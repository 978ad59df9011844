/**
 * Operator actions on many sagas at once, built on SagaService's single-saga actions: a dry run that
 * reads exactly what the real run would snapshot, and a tracked action that any instance can read
 * and cancel. The instance that accepts an action runs it (see SagaBulkWorker).
 */
import { v7 as timeOrderedUuid } from 'uuid';
import {
  SAGA_ACTIONS,
  SAGA_STATUSES,
  canPerform,
  isSagaStatus,
  type BulkActionFilter,
  type BulkActionPreview,
  type BulkActionView,
  type BulkCompensationPreview,
  type SagaAction,
  type SagaStatus,
} from '@nest-saga/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { SagaRegistry } from '../discovery/saga.registry.js';
import { SagaBulkActionNotFoundError, SagaBulkActionNotRunningError, SagaBulkActionTooLargeError } from '../errors/bulk.errors.js';
import { SagaQueryError } from '../errors/saga.errors.js';
import { SagaBulkStore, type BulkActionRecord } from '../persistence/saga-bulk.store.js';
import { isUuid } from '../persistence/stored-values.js';
import { SAGA_BULK_OPTIONS, SAGA_BULK_STORE } from '../saga-operations.tokens.js';
import type { ResolvedSagaOptions } from '../saga-options.js';
import { SAGA_RESOLVED_OPTIONS } from '../saga.tokens.js';
import { toSummary } from '../services/saga-views.js';
import { BULK_FAILURES_SHOWN, BULK_MAX_IDS, BULK_RATE_MAX, BULK_RATE_MIN, BULK_SAMPLE_SIZE, isBulkRate, type ResolvedBulkOptions } from './bulk-options.js';
import { SagaBulkWorker } from './saga-bulk.worker.js';

/** What to do, to which sagas. */
export interface SagaBulkSelection {
  action: SagaAction;
  filter: BulkActionFilter;
}

/** A bulk action to start. */
export interface SagaBulkRequest extends SagaBulkSelection {
  /** Why; each saga's history records `bulk <id>: <reason>`. Required. */
  reason: string;
  /** Who asks; recorded as the actor of every saga's action. @default 'system' */
  actor?: string;
  /** Sagas acted on per second (0.1 to 1000). @default module `bulkActions.ratePerSec` (50) */
  ratePerSec?: number;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/** Statuses in which the action undoes steps (the dry run lists those compensations). */
function compensatingStatuses(action: SagaAction, allowed: SagaStatus[]): SagaStatus[] {
  if (action === 'cancel' || action === 'compensate') return allowed;
  if (action === 'retry') return allowed.filter((s) => s === 'FAILED');
  return [];
}

@Injectable()
export class SagaBulkService {
  constructor(
    @Inject(SAGA_BULK_STORE) private readonly store: SagaBulkStore,
    private readonly registry: SagaRegistry,
    private readonly worker: SagaBulkWorker,
    @Inject(SAGA_BULK_OPTIONS) private readonly bulkOptions: ResolvedBulkOptions,
    @Inject(SAGA_RESOLVED_OPTIONS) private readonly options: ResolvedSagaOptions,
  ) {}

  /**
   * A dry run: how many sagas the action would take (those matching the filter whose status allows
   * it), by status, a sample, and the compensations it would run per definition. Changes nothing.
   */
  async preview(selection: SagaBulkSelection): Promise<BulkActionPreview> {
    const { action, filter } = validateSelection(selection);
    const allowed = SAGA_STATUSES.filter((s) => canPerform(action, s));
    const undoing = compensatingStatuses(action, allowed);
    const [counts, sample, steps] = await Promise.all([
      this.store.countMatching(filter),
      this.store.sample(filter, allowed, BULK_SAMPLE_SIZE),
      this.store.stepsToUndo(filter, undoing),
    ]);
    const byStatus: Partial<Record<SagaStatus, number>> = {};
    const skippedByStatus: Partial<Record<SagaStatus, number>> = {};
    const undoingByName = new Map<string, number>();
    let matched = 0;
    let skipped = 0;
    for (const c of counts) {
      if (allowed.includes(c.status)) {
        matched += c.count;
        byStatus[c.status] = (byStatus[c.status] ?? 0) + c.count;
        if (undoing.includes(c.status)) undoingByName.set(c.name, (undoingByName.get(c.name) ?? 0) + c.count);
      } else {
        skipped += c.count;
        skippedByStatus[c.status] = (skippedByStatus[c.status] ?? 0) + c.count;
      }
    }
    const compensations: BulkCompensationPreview[] = [...undoingByName.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, sagas]) => {
        const def = this.registry.find(name);
        const preview: BulkCompensationPreview = { name, sagas, steps: [], noCompensation: [] };
        // Compensation runs last step first.
        for (const s of steps.filter((x) => x.name === name).sort((a, b) => b.index - a.index)) {
          const registered = def?.steps[s.index]?.name === s.step ? def.steps[s.index] : def?.steps.find((d) => d.name === s.step);
          // A step this instance does not know is shown as compensated: the instance running it decides.
          (registered && !registered.hasCompensation ? preview.noCompensation : preview.steps).push({ step: s.step, sagas: s.count });
        }
        return preview;
      });
    return { action, matched, byStatus, skipped, skippedByStatus, sample: sample.map(toSummary), compensations };
  }

  /**
   * Starts a bulk action: snapshots the sagas the dry run would count (later sagas never join) and
   * acts on them in this instance, `ratePerSec` at a time. Returns at once; follow it with `get`.
   */
  async start(request: SagaBulkRequest): Promise<BulkActionView> {
    const { action, filter } = validateSelection(request);
    const reason = typeof request.reason === 'string' ? request.reason.trim() : '';
    if (!reason) throw new SagaQueryError('A reason is required: it is recorded in the history of every saga the bulk action touches.', 'reason');
    if (reason.length > 1000) throw new SagaQueryError('reason must be at most 1000 characters.', 'reason');
    if (request.ratePerSec !== undefined && !isBulkRate(request.ratePerSec)) {
      throw new SagaQueryError(`ratePerSec must be a number from ${BULK_RATE_MIN} to ${BULK_RATE_MAX}.`, 'ratePerSec');
    }
    const allowed = SAGA_STATUSES.filter((s) => canPerform(action, s));
    const max = this.bulkOptions.maxSagas;
    const matched = (await this.store.countMatching(filter)).filter((c) => allowed.includes(c.status)).reduce((n, c) => n + c.count, 0);
    if (matched > max) throw new SagaBulkActionTooLargeError(matched, max);
    const rec = await this.store.create(
      {
        id: timeOrderedUuid(),
        action,
        filter,
        reason,
        actor: request.actor?.trim() || 'system',
        ratePerSec: request.ratePerSec ?? this.bulkOptions.ratePerSec,
        ownerId: this.options.instanceId,
        leaseMs: this.options.leaseMs,
      },
      allowed,
      max,
    );
    this.worker.run(rec);
    return this.toView(rec, []);
  }

  /** Progress and failures of a bulk action, from any instance. Throws `SagaBulkActionNotFoundError`. */
  async get(id: string): Promise<BulkActionView> {
    const rec = await this.store.get(id);
    if (!rec) throw new SagaBulkActionNotFoundError(id);
    return this.toView(rec, rec.failed ? await this.store.failures(id, BULK_FAILURES_SHOWN) : []);
  }

  /** The latest bulk actions, newest first (failures not listed: `get` one for them). */
  async list(limit = 20): Promise<BulkActionView[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new SagaQueryError('limit must be an integer from 1 to 100.', 'limit');
    return (await this.store.list(limit)).map((rec) => this.toView(rec, []));
  }

  /**
   * Stops a RUNNING bulk action: no further saga is taken; the ones in flight finish and are counted.
   * Throws `SagaBulkActionNotFoundError`, or `SagaBulkActionNotRunningError` once it is DONE or CANCELLED.
   */
  async cancel(id: string): Promise<BulkActionView> {
    const rec = await this.store.cancel(id);
    if (!rec) {
      const now = await this.store.get(id);
      if (!now) throw new SagaBulkActionNotFoundError(id);
      throw new SagaBulkActionNotRunningError(id, now.status);
    }
    this.worker.cancelled(id);
    return this.get(id);
  }

  private toView(rec: BulkActionRecord, failures: BulkActionView['failures']): BulkActionView {
    return {
      id: rec.id,
      action: rec.action,
      status: rec.status,
      total: rec.total,
      done: rec.done,
      succeeded: rec.succeeded,
      failed: rec.failed,
      failures,
      filter: rec.filter,
      reason: rec.reason,
      actor: rec.actor,
      ratePerSec: rec.ratePerSec,
      ownerId: rec.leaseLive ? rec.ownerId : null,
      createdAt: iso(rec.createdAt)!,
      updatedAt: iso(rec.updatedAt)!,
      finishedAt: iso(rec.finishedAt),
    };
  }
}

/** Checks a selection the way the admin API does, for callers of the library; returns it normalised. */
export function validateSelection(selection: SagaBulkSelection): SagaBulkSelection {
  const action = selection?.action;
  if (!(SAGA_ACTIONS as readonly string[]).includes(action)) {
    throw new SagaQueryError(`action must be one of ${SAGA_ACTIONS.join(', ')}.`, 'action');
  }
  const filter = selection.filter;
  if (filter === null || typeof filter !== 'object' || Array.isArray(filter)) throw new SagaQueryError('filter must be an object.', 'filter');
  const out: BulkActionFilter = {};
  if (filter.status !== undefined) {
    if (!Array.isArray(filter.status)) throw new SagaQueryError('filter.status must be a list of statuses.', 'filter.status');
    for (const s of filter.status) {
      if (!isSagaStatus(s)) throw new SagaQueryError(`filter.status "${String(s)}" is not one of ${SAGA_STATUSES.join(', ')}.`, 'filter.status');
    }
    if (filter.status.length) out.status = [...new Set(filter.status)];
  }
  if (filter.name !== undefined) {
    if (typeof filter.name !== 'string' || filter.name.length > 200) throw new SagaQueryError('filter.name must be a string of at most 200 characters.', 'filter.name');
    if (filter.name) out.name = filter.name;
  }
  if (filter.stuck !== undefined) {
    if (typeof filter.stuck !== 'boolean') throw new SagaQueryError('filter.stuck must be true or false.', 'filter.stuck');
    if (filter.stuck) out.stuck = true;
  }
  if (filter.q !== undefined) {
    if (typeof filter.q !== 'string' || filter.q.length > 200) throw new SagaQueryError('filter.q must be a string of at most 200 characters.', 'filter.q');
    if (filter.q.trim()) out.q = filter.q.trim();
  }
  if (filter.ids !== undefined) {
    if (!Array.isArray(filter.ids)) throw new SagaQueryError('filter.ids must be a list of saga ids.', 'filter.ids');
    if (filter.ids.length > BULK_MAX_IDS) throw new SagaQueryError(`filter.ids may list at most ${BULK_MAX_IDS} sagas; use a filter for more.`, 'filter.ids');
    filter.ids.forEach((id, i) => {
      if (typeof id !== 'string' || !isUuid(id)) throw new SagaQueryError(`filter.ids[${i}] must be a saga id (a UUID).`, `filter.ids[${i}]`);
    });
    out.ids = [...new Set(filter.ids.map((id) => id.toLowerCase()))];
  }
  return { action, filter: out };
}
