import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One saga a bulk action took when it started, in the order it acts on them, and the outcome. */
@Entity({ name: 'saga_bulk_action_items' })
export class SagaBulkActionItemEntity {
  @PrimaryColumn({ name: 'bulk_action_id', type: 'uuid' })
  bulkActionId: string;

  @PrimaryColumn({ name: 'seq', type: 'int' })
  seq: number;

  @Column({ name: 'saga_id', type: 'uuid' })
  sagaId: string;

  /** `SUCCEEDED` or `FAILED`; null until the saga is acted on. */
  @Column({ name: 'outcome', type: 'varchar', length: 16, nullable: true })
  outcome: string | null;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage: string | null;

  @Column({ name: 'done_at', type: 'timestamptz', nullable: true })
  doneAt: Date | null;
}
