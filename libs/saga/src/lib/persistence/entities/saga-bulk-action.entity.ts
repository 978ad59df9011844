import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * One bulk action: what to do, to which filter, by whom and why, its progress counters, and the
 * instance running it (with a lease, so another instance continues it if that one dies). The store
 * writes it with SQL of its own; this entity documents the table for TypeORM.
 */
@Entity({ name: 'saga_bulk_actions' })
@Index('ix_saga_bulk_actions_created', ['createdAt'])
@Index('ix_saga_bulk_actions_running', ['leaseExpiresAt'], { where: `status = 'RUNNING'` })
export class SagaBulkActionEntity {
  @PrimaryColumn({ name: 'id', type: 'uuid' })
  id: string;

  @Column({ name: 'action', type: 'varchar', length: 32 })
  action: string;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status: string;

  @Column({ name: 'filter', type: 'jsonb' })
  filter: unknown;

  @Column({ name: 'reason', type: 'text' })
  reason: string;

  @Column({ name: 'actor', type: 'varchar', length: 200 })
  actor: string;

  @Column({ name: 'rate_per_sec', type: 'double precision' })
  ratePerSec: number;

  @Column({ name: 'total', type: 'int', default: 0 })
  total: number;

  @Column({ name: 'done', type: 'int', default: 0 })
  done: number;

  @Column({ name: 'succeeded', type: 'int', default: 0 })
  succeeded: number;

  @Column({ name: 'failed', type: 'int', default: 0 })
  failed: number;

  @Column({ name: 'owner_id', type: 'varchar', length: 200, nullable: true })
  ownerId: string | null;

  @Column({ name: 'fence', type: 'int', default: 1 })
  fence: number;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}
