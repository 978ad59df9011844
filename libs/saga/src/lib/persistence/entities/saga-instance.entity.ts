import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * One saga instance. Step states live in the `steps` jsonb array of this row so that a checkpoint is
 * one single-row update. The store writes it with SQL of its own; this entity documents the table
 * for TypeORM (and for apps that want to query it).
 */
@Entity({ name: 'saga_instances' })
@Index('ix_saga_instances_status_created', ['status', 'createdAt', 'id'])
@Index('ix_saga_instances_name_created', ['name', 'createdAt', 'id'])
@Index('ix_saga_instances_created', ['createdAt', 'id'])
@Index('ux_saga_instances_idempotency_key', ['idempotencyKey'], { unique: true })
// varchar_pattern_ops in the migration (prefix search); TypeORM compares names and columns only.
@Index('ix_saga_instances_idempotency_prefix', ['idempotencyKey'])
// The stats count unfinished sagas (and the stuck ones among them) with an index-only scan.
@Index('ix_saga_instances_unfinished', ['status', 'name', 'stuckSince'], { where: `status NOT IN ('COMPLETED', 'COMPENSATED', 'CANCELLED')` })
// The partial indexes of the migration, declared with the same names and conditions, so that
// `migration:generate` against a migrated database proposes nothing and `synchronize` builds them
// too. The list indexes above are DESC in the migration; TypeORM cannot say so, and a B-tree serves
// both directions alike when every column has the same order, so that difference is harmless.
@Index('ix_saga_instances_next_run', ['nextRunAt'], { where: 'next_run_at IS NOT NULL' })
@Index('ix_saga_instances_requests', ['ownerId'], { where: 'pending_request IS NOT NULL' })
@Index('ix_saga_instances_stuck', ['stuckSince'], { where: 'stuck_since IS NOT NULL' })
@Index('ix_saga_instances_active', ['status'], { where: `status IN ('PENDING', 'RUNNING', 'COMPENSATING', 'PAUSED')` })
export class SagaInstanceEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid' })
  id: string;

  @Column({ name: 'name', type: 'varchar', length: 200 })
  name: string;

  @Column({ name: 'definition_version', type: 'int', default: 1 })
  definitionVersion: number;

  @Column({ name: 'status', type: 'varchar', length: 32 })
  status: string;

  @Column({ name: 'input', type: 'jsonb', nullable: true })
  input: unknown;

  @Column({ name: 'current_step', type: 'int', default: 0 })
  currentStep: number;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255, nullable: true })
  idempotencyKey: string | null;

  @Column({ name: 'owner_id', type: 'varchar', length: 200, nullable: true })
  ownerId: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt: Date | null;

  @Column({ name: 'fence', type: 'bigint', default: 0 })
  fence: string;

  @Column({ name: 'next_run_at', type: 'timestamptz', nullable: true })
  nextRunAt: Date | null;

  @Column({ name: 'deadline_at', type: 'timestamptz', nullable: true })
  deadlineAt: Date | null;

  @Column({ name: 'deadline_handled_at', type: 'timestamptz', nullable: true })
  deadlineHandledAt: Date | null;

  @Column({ name: 'compensation_cause', type: 'varchar', length: 32, nullable: true })
  compensationCause: string | null;

  @Column({ name: 'pending_request', type: 'jsonb', nullable: true })
  pendingRequest: unknown;

  @Column({ name: 'error', type: 'jsonb', nullable: true })
  error: unknown;

  @Column({ name: 'steps', type: 'jsonb' })
  steps: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  @Column({ name: 'stuck_since', type: 'timestamptz', nullable: true })
  stuckSince: Date | null;

  @Column({ name: 'stuck_reason', type: 'varchar', length: 40, nullable: true })
  stuckReason: string | null;

  /** Seq of the last checkpoint applied under `fence`: a retry of it (reply lost) is not applied twice. */
  @Column({ name: 'last_write_seq', type: 'integer', nullable: true })
  lastWriteSeq: number | null;

  /** W3C trace context (`{ traceparent, tracestate? }`) of the span that started the saga. */
  @Column({ name: 'trace_context', type: 'jsonb', nullable: true })
  traceContext: unknown;

  /** What the saga runs (steps, params, policies, definition name and version), written once at its start. */
  @Column({ name: 'plan', type: 'jsonb', nullable: true })
  plan: unknown;
}
