/**
 * The engine's only door to storage. Every write made while running a saga is fenced: it applies
 * only while `owner_id` and `fence` still match the caller's claim, so an instance that lost its
 * lease can never overwrite newer state. Times compared across instances use the store's clock.
 */
import type { SagaStats, SagaStatus, StuckReason } from '@nest-saga/contracts';
import type { EntityManager } from 'typeorm';
import type { SagaTraceContext } from './saga.records.js';
import type { SagaPlan } from '../plan/saga-plan.js';
import type { NewSagaEvent, SagaEventRecord, SagaRecord, SagaRequest, StepState, CompensationCause } from './saga.records.js';

export interface NewSaga {
  id: string;
  name: string;
  version: number;
  status: SagaStatus;
  input: unknown;
  idempotencyKey: string | null;
  steps: StepState[];
  deadlineMs: number | null;
  /** Set: the caller owns the saga at once (fence 1). Unset: it waits for any instance to claim it. */
  ownerId: string | null;
  leaseMs: number;
  /** The trace the saga's spans belong to (the context of the span that started it). */
  traceContext?: SagaTraceContext | null;
  /**
   * Stored once, with the row; no checkpoint writes it again. `SagaService.start` always sets it;
   * absent, the saga is stored as before plans (its plan is derived from its steps when read).
   */
  plan?: SagaPlan | null;
}

/** Unfinished sagas (not COMPLETED, COMPENSATED or CANCELLED) of one name and definition version. */
export interface SagaVersionRow {
  name: string;
  version: number;
  running: number;
}

/** Everything a running owner writes at a checkpoint. */
export interface Checkpoint {
  sagaId: string;
  ownerId: string;
  fence: number;
  status: SagaStatus;
  currentStep: number;
  steps: StepState[];
  error: SagaRecord['error'];
  compensationCause: CompensationCause | null;
  deadlineHandled: boolean;
  finished: boolean;
  /**
   * Give up ownership (terminal, paused, failed, long retry wait, shutdown). A released saga with
   * an operator request still waiting (one that arrived after the owner's last look) is due at once.
   */
  release: boolean;
  /** When the saga is due again for any instance; null when nothing is due until an operator acts. */
  nextRunInMs: number | null;
  leaseMs: number;
  /** Token of the operator request applied by this checkpoint, to clear it. */
  clearRequestToken: string | null;
  events: NewSagaEvent[];
  /**
   * The owner's count of its checkpoints under this fence (1, 2, ...). The engine writes a
   * checkpoint again when it cannot tell whether it was applied (the connection dropped before the
   * reply); a store that remembers the last (owner, fence, seq) it applied answers such a retry as
   * applied without applying it twice, so its events are recorded once. Optional for a store.
   */
  seq?: number;
}

export interface CheckpointResult {
  /** False: the fence did not match; the caller lost the saga and must stop at once. */
  ok: boolean;
  /** An operator request waiting on the row (possibly newer than the one just applied). */
  request: SagaRequest | null;
}

export interface LeaseRenewal {
  sagaId: string;
  fence: number;
  request: SagaRequest | null;
}

export interface ClaimedSaga {
  saga: SagaRecord;
  /** The instance whose lease had expired, when this claim is a takeover. */
  previousOwner: string | null;
}

export interface SagaListFilter {
  status?: SagaStatus[];
  name?: string;
  stuck?: boolean;
  q?: string;
  limit: number;
  /** Opaque `nextCursor` of the previous page; a malformed one throws `SagaQueryError`. */
  cursor?: string;
}

export interface SagaListPage {
  items: SagaRecord[];
  nextCursor: string | null;
}

export interface StuckCandidate {
  saga: SagaRecord;
  /** Store clock now, so reasons are judged on one clock. */
  now: Date;
}

export interface StuckMark {
  sagaId: string;
  reason: StuckReason;
  /** Make the saga claimable now (recovery). */
  recover: boolean;
  event: NewSagaEvent | null;
}

/**
 * The database transaction of one attempt of a transactional step (or of its compensation). The
 * attempt writes through `manager`; its checkpoint is written in the same transaction, fenced, by
 * `commit`, so the attempt's writes and its recorded outcome commit together or not at all.
 */
export interface StepTransaction {
  /** What the attempt writes through (`ctx.manager`). */
  readonly manager: EntityManager;
  /**
   * Writes the checkpoint in the transaction, fenced like `SagaStore.checkpoint`, and commits. When
   * the fence no longer matches, rolls everything back and returns `ok: false`. Throws when the
   * transaction failed; if the commit itself was cut off its outcome is unknown: read the saga back.
   * No statement of the attempt's code runs in the transaction after this is called.
   */
  commit(checkpoint: Checkpoint): Promise<CheckpointResult>;
  /**
   * Rolls the attempt's writes back and gives the connection back; never throws. `destroy`: the
   * attempt's code may still be running (timeout, abort), so the connection is closed instead, and
   * nothing that code sends later can run, in the transaction or out of it.
   */
  rollback(destroy: boolean): Promise<void>;
}

export abstract class SagaStore {
  /** Called once at bootstrap; throw a SagaConfigurationError when the store cannot work. */
  init(): void {}
  /** Whether this store runs transactional steps (`beginStepTransaction`). */
  supportsStepTransactions(): boolean {
    return false;
  }
  /**
   * Whether `error` says the store could not be reached (connection refused, dropped, timed out):
   * a write that failed so may or may not have been applied, and is worth sending again as is.
   */
  isUnreachable(_error: unknown): boolean {
    return false;
  }
  /** A transaction for one attempt of a transactional step; only when `supportsStepTransactions()`. */
  beginStepTransaction(): StepTransaction {
    throw new Error(`${this.constructor.name} cannot run transactional steps.`);
  }
  /**
   * Creates the instance and its first events. With an existing idempotency key, returns that saga
   * (`created: false`). With an id already stored (the same start sent again after its reply was
   * lost; ids are made per start), returns that saga as created and writes nothing more.
   */
  abstract insert(saga: NewSaga, events: NewSagaEvent[]): Promise<{ saga: SagaRecord; created: boolean }>;
  abstract checkpoint(checkpoint: Checkpoint): Promise<CheckpointResult>;
  /** Claims up to `limit` due sagas (new, retry due, requested, lease expired), oldest due first. */
  abstract claimDue(ownerId: string, limit: number, leaseMs: number): Promise<ClaimedSaga[]>;
  /**
   * At the start of an instance: claims (new fence, new lease) the non-terminal sagas still owned
   * under `ownerId`, expired lease or not, because they were left by an earlier process with the
   * same instance id, which is gone. Records `LEASE_TAKEN_OVER` with `restart: true` for each.
   * Owned sagas beyond `limit` get an expired lease, so any instance may take them over at once.
   */
  abstract reclaim(ownerId: string, limit: number, leaseMs: number): Promise<ClaimedSaga[]>;
  /** Claims one saga if it is unowned or its lease expired. */
  abstract claimOne(sagaId: string, ownerId: string, leaseMs: number): Promise<ClaimedSaga | null>;
  /** Extends the leases this instance still holds; sagas missing from the result are lost. */
  abstract renewLeases(ownerId: string, sagas: { sagaId: string; fence: number }[], leaseMs: number): Promise<LeaseRenewal[]>;
  /** Operator requests waiting on sagas this instance owns (so it applies them within a poll). */
  abstract pendingRequests(ownerId: string): Promise<LeaseRenewal[]>;
  /** Gives sagas back so any instance can continue them (at once, or after `delayMs`). */
  abstract releaseAll(ownerId: string, sagas: { sagaId: string; fence: number }[], delayMs?: number): Promise<void>;
  /**
   * Writes an operator request (and `event`) if the saga's status is one of `allowed` and no request
   * is waiting (both checked in the same statement), and makes the saga due now if no live owner
   * holds it. When the same request (action and step) already waits, writes nothing and returns
   * the row with that one (the caller tells by the token). Returns null when refused.
   */
  abstract request(sagaId: string, request: SagaRequest, allowed: SagaStatus[], event: NewSagaEvent | null): Promise<SagaRecord | null>;
  abstract appendEvents(sagaId: string, events: NewSagaEvent[]): Promise<void>;
  abstract get(sagaId: string): Promise<SagaRecord | null>;
  abstract getEvents(sagaId: string): Promise<SagaEventRecord[]>;
  abstract list(filter: SagaListFilter): Promise<SagaListPage>;
  abstract stats(): Promise<SagaStats>;
  /** How many sagas are not finished, by name and definition version. */
  abstract runningVersions(): Promise<SagaVersionRow[]>;
  /** Non-terminal sagas with no progress for `stuckAfterMs`, expired leases, overdue retries, passed deadlines, stuck ones. */
  abstract findStuckCandidates(stuckAfterMs: number): Promise<StuckCandidate[]>;
  /** Marks these sagas stuck (and recovers some); clears the mark on every other saga. */
  abstract markStuck(marks: StuckMark[]): Promise<void>;
  /** Throws when the store is unreachable. */
  abstract ping(): Promise<void>;
}
