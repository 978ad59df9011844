/**
 * Storage of the step circuit breaker: the paused steps, shared by every instance, and the release
 * of the sagas held at a resumed step, at a rate that is global (counted in the database, not per
 * instance).
 */
import type { StepPauseStatus } from '@nest-saga/contracts';

export interface StepPauseRecord {
  step: string;
  status: StepPauseStatus;
  reason: string;
  pausedBy: string;
  pausedAt: Date;
  resumedBy: string | null;
  resumedAt: Date | null;
  resumeReason: string | null;
  ratePerSec: number | null;
  released: number;
}

export abstract class SagaStepPauseStore {
  /** False when the configured saga store cannot hold steps (the breaker then refuses to pause). */
  abstract readonly supported: boolean;
  /** Every paused or resuming step. */
  abstract all(): Promise<StepPauseRecord[]>;
  /** One step's pause, or null when it is not listed. */
  abstract get(step: string): Promise<StepPauseRecord | null>;
  /** How many sagas are held at each step (only steps with at least one). */
  abstract waiting(): Promise<Map<string, number>>;
  /**
   * Pauses the step. A step already `PAUSED` is left as it is (`created: false`); a `RESUMING` one is
   * paused again (its ramp stops; the sagas it released stay released).
   */
  abstract pause(step: string, reason: string, actor: string): Promise<{ pause: StepPauseRecord; created: boolean }>;
  /** `PAUSED` → `RESUMING`; null when the step is not `PAUSED`. */
  abstract resume(step: string, reason: string, actor: string, ratePerSec: number | null): Promise<StepPauseRecord | null>;
  /**
   * Releases the sagas held at a `RESUMING` step that its rate allows by now (at most `maxBatch`),
   * each with a `SAGA_RESUMED` event, and makes them due. Once no saga is held and nothing was
   * released for `graceMs`, the step's row goes. Safe to call from every instance at once.
   */
  abstract release(step: string, maxBatch: number, graceMs: number): Promise<{ released: number; finished: boolean }>;
  /**
   * Releases (all at once, at most `maxBatch`) sagas held at a step that is no longer listed: held
   * by an instance that read the step paused just before its resume, and written after the step's
   * row was gone. Returns how many.
   */
  abstract releaseOrphans(maxBatch: number): Promise<number>;
}
