import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bulk actions and the sagas each one took when it started (its snapshot, one row per saga with its
 * outcome). No foreign keys: retention deletes items in bounded batches before their action.
 */
export class CreateSagaBulkActions1768000000000 implements MigrationInterface {
  name = 'CreateSagaBulkActions1768000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE saga_bulk_actions (
        id uuid PRIMARY KEY,
        action varchar(32) NOT NULL,
        status varchar(16) NOT NULL,
        filter jsonb NOT NULL,
        reason text NOT NULL,
        actor varchar(200) NOT NULL,
        rate_per_sec double precision NOT NULL,
        total int NOT NULL DEFAULT 0,
        done int NOT NULL DEFAULT 0,
        succeeded int NOT NULL DEFAULT 0,
        failed int NOT NULL DEFAULT 0,
        owner_id varchar(200),
        fence int NOT NULL DEFAULT 1,
        lease_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX ix_saga_bulk_actions_created ON saga_bulk_actions (created_at)`);
    await queryRunner.query(`CREATE INDEX ix_saga_bulk_actions_running ON saga_bulk_actions (lease_expires_at) WHERE status = 'RUNNING'`);
    await queryRunner.query(`
      CREATE TABLE saga_bulk_action_items (
        bulk_action_id uuid NOT NULL,
        seq int NOT NULL,
        saga_id uuid NOT NULL,
        outcome varchar(16),
        error_code varchar(64),
        error_message text,
        done_at timestamptz,
        PRIMARY KEY (bulk_action_id, seq)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE saga_bulk_action_items`);
    await queryRunner.query(`DROP TABLE saga_bulk_actions`);
  }
}
