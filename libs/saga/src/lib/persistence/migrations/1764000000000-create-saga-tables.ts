import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Creates the saga tables and the indexes the claim, list and stuck queries use. A checkpoint of a
 * running saga changes no indexed column, so PostgreSQL can update the row in place (HOT, with the
 * room fillfactor leaves); the history has no foreign key, to keep its appends cheap (rows are
 * written only in the same statement as their saga's row).
 */
export class CreateSagaTables1764000000000 implements MigrationInterface {
  name = 'CreateSagaTables1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE saga_instances (
        id uuid PRIMARY KEY,
        name varchar(200) NOT NULL,
        definition_version int NOT NULL DEFAULT 1,
        status varchar(32) NOT NULL,
        input jsonb,
        current_step int NOT NULL DEFAULT 0,
        idempotency_key varchar(255),
        owner_id varchar(200),
        lease_expires_at timestamptz,
        fence bigint NOT NULL DEFAULT 0,
        next_run_at timestamptz,
        deadline_at timestamptz,
        deadline_handled_at timestamptz,
        compensation_cause varchar(32),
        pending_request jsonb,
        error jsonb,
        steps jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        stuck_since timestamptz,
        stuck_reason varchar(40)
      ) WITH (fillfactor = 80)`);
    await queryRunner.query(`CREATE UNIQUE INDEX ux_saga_instances_idempotency_key ON saga_instances (idempotency_key)`);
    await queryRunner.query(`CREATE INDEX ix_saga_instances_created ON saga_instances (created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX ix_saga_instances_status_created ON saga_instances (status, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX ix_saga_instances_name_created ON saga_instances (name, created_at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX ix_saga_instances_next_run ON saga_instances (next_run_at) WHERE next_run_at IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX ix_saga_instances_requests ON saga_instances (owner_id) WHERE pending_request IS NOT NULL`);
    await queryRunner.query(`CREATE INDEX ix_saga_instances_stuck ON saga_instances (stuck_since) WHERE stuck_since IS NOT NULL`);
    await queryRunner.query(
      `CREATE INDEX ix_saga_instances_active ON saga_instances (status) WHERE status IN ('PENDING', 'RUNNING', 'COMPENSATING', 'PAUSED')`,
    );
    await queryRunner.query(`
      CREATE TABLE saga_events (
        id bigserial PRIMARY KEY,
        saga_id uuid NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        type varchar(40) NOT NULL,
        step varchar(200),
        attempt int,
        actor varchar(200),
        reason text,
        error jsonb,
        data jsonb
      )`);
    await queryRunner.query(`CREATE INDEX ix_saga_events_saga ON saga_events (saga_id, id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE saga_events`);
    await queryRunner.query(`DROP TABLE saga_instances`);
  }
}
