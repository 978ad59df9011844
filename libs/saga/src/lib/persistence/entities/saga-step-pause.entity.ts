import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A step paused by the circuit breaker, with who paused it and why, and once resumed, the ramp that
 * releases the sagas held at it. The store writes it with SQL of its own; this entity documents the
 * table for TypeORM.
 */
@Entity({ name: 'saga_step_pauses' })
export class SagaStepPauseEntity {
  @PrimaryColumn({ name: 'step', type: 'varchar', length: 200 })
  step: string;

  /** `PAUSED` or `RESUMING`. */
  @Column({ name: 'status', type: 'varchar', length: 16 })
  status: string;

  @Column({ name: 'reason', type: 'text' })
  reason: string;

  @Column({ name: 'paused_by', type: 'varchar', length: 200 })
  pausedBy: string;

  @Column({ name: 'paused_at', type: 'timestamptz', default: () => 'now()' })
  pausedAt: Date;

  @Column({ name: 'resumed_by', type: 'varchar', length: 200, nullable: true })
  resumedBy: string | null;

  @Column({ name: 'resumed_at', type: 'timestamptz', nullable: true })
  resumedAt: Date | null;

  @Column({ name: 'resume_reason', type: 'text', nullable: true })
  resumeReason: string | null;

  @Column({ name: 'rate_per_sec', type: 'double precision', nullable: true })
  ratePerSec: number | null;

  @Column({ name: 'released', type: 'int', default: 0 })
  released: number;

  @Column({ name: 'last_released_at', type: 'timestamptz', nullable: true })
  lastReleasedAt: Date | null;
}
