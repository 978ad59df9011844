/**
 * Storage of bulk actions. The set of sagas an action takes is written in the same statement that
 * creates it (a snapshot: later sagas never join); each outcome is written once, fenced by the
 * instance running the action, so an instance that lost it cannot count twice.
 */
import type { BulkActionFailure, BulkActionFilter, BulkActionStatus, SagaAction, SagaStatus } from '@nest-saga/contracts';
import type { SagaRecord } from './saga.records.js';

export interface BulkActionRecord {
  id: string;
  action: SagaAction;
  status: BulkActionStatus;
  filter: BulkActionFilter;
  reason: string;
  actor: string;
  ratePerSec: number;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  ownerId: string | null;
  fence: number;
  /** True while the owner's lease runs (store clock). */
  leaseLive: boolean;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface NewBulkAction {
  id: string;
  action: SagaAction;
  filter: BulkActionFilter;
  reason: string;
  actor: string;
  ratePerSec: number;
  /** The instance that runs it. */
  ownerId: string;
  leaseMs: number;
}

/** Matching sagas counted by definition and status (the filter only, whatever the status). */
export interface BulkMatchCount {
  name: string;
  status: SagaStatus;
  count: number;
}

/** How many of the selected sagas would compensate each step (by its index in the saga). */
export interface BulkStepCount {
  name: string;
  index: number;
  step: string;
  count: number;
}

export interface BulkItem {
  seq: number;
  sagaId: string;
}

export interface BulkOutcome {
  seq: number;
  ok: boolean;
  code?: string;
  message?: string;
}

export interface BulkOwnership {
  id: string;
  fence: number;
}

export abstract class SagaBulkStore {
  /** Counts the sagas matching the filter, by name and status. */
  abstract countMatching(filter: BulkActionFilter): Promise<BulkMatchCount[]>;
  /** Up to `limit` sagas matching the filter in one of `statuses`, newest first. */
  abstract sample(filter: BulkActionFilter, statuses: SagaStatus[], limit: number): Promise<SagaRecord[]>;
  /**
   * For the sagas matching the filter in one of `statuses`: per definition and step, how many have
   * a step with something to undo (completed, in flight, or of unknown outcome, not compensated yet).
   */
  abstract stepsToUndo(filter: BulkActionFilter, statuses: SagaStatus[]): Promise<BulkStepCount[]>;
  /**
   * Creates the action with its snapshot: the sagas matching the filter whose status is in
   * `statuses`, newest first, at most `maxSagas`, in one statement.
   */
  abstract create(action: NewBulkAction, statuses: SagaStatus[], maxSagas: number): Promise<BulkActionRecord>;
  abstract get(id: string): Promise<BulkActionRecord | null>;
  /** Newest first. */
  abstract list(limit: number): Promise<BulkActionRecord[]>;
  abstract failures(id: string, limit: number): Promise<BulkActionFailure[]>;
  /** Items with no outcome yet after `afterSeq`, in order. */
  abstract pending(id: string, afterSeq: number, limit: number): Promise<BulkItem[]>;
  /**
   * Records an item's outcome (once) and renews the owner's lease. Returns the action's status, or
   * null when `owner` no longer holds it (the caller must stop).
   */
  abstract record(owner: string, own: BulkOwnership, outcome: BulkOutcome, leaseMs: number): Promise<BulkActionStatus | null>;
  /** RUNNING → DONE once every item has an outcome; lets go of it in any case. Returns the row, or null if not owned. */
  abstract finish(owner: string, own: BulkOwnership): Promise<BulkActionRecord | null>;
  /** RUNNING → CANCELLED. The owner lets go once the items in flight are recorded. Null when not RUNNING (or unknown). */
  abstract cancel(id: string): Promise<BulkActionRecord | null>;
  /** Extends the leases of the actions this instance runs; returns those it still holds, with their status. */
  abstract renew(owner: string, owned: BulkOwnership[], leaseMs: number): Promise<{ id: string; status: BulkActionStatus }[]>;
  /**
   * Takes one RUNNING action nobody runs (its owner's lease expired, or it is `owner`'s own from an
   * earlier process with this instance id), except `exclude`. Bumps the fence.
   */
  abstract claimOrphan(owner: string, leaseMs: number, exclude: string[]): Promise<BulkActionRecord | null>;
  /** Gives actions back so another instance takes them over at once (shutdown). */
  abstract release(owner: string, owned: BulkOwnership[]): Promise<void>;
}
