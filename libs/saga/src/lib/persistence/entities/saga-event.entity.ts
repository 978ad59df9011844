import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only history of a saga: every transition, attempt and operator action. */
@Entity({ name: 'saga_events' })
@Index('ix_saga_events_saga', ['sagaId', 'id'])
export class SagaEventEntity {
  @PrimaryGeneratedColumn({ name: 'id', type: 'bigint' })
  id: string;

  @Column({ name: 'saga_id', type: 'uuid' })
  sagaId: string;

  @Column({ name: 'at', type: 'timestamptz', default: () => 'now()' })
  at: Date;

  @Column({ name: 'type', type: 'varchar', length: 40 })
  type: string;

  @Column({ name: 'step', type: 'varchar', length: 200, nullable: true })
  step: string | null;

  @Column({ name: 'attempt', type: 'int', nullable: true })
  attempt: number | null;

  @Column({ name: 'actor', type: 'varchar', length: 200, nullable: true })
  actor: string | null;

  @Column({ name: 'reason', type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'error', type: 'jsonb', nullable: true })
  error: unknown;

  @Column({ name: 'data', type: 'jsonb', nullable: true })
  data: unknown;
}
