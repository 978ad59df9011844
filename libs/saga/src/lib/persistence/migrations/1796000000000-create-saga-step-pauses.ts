import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The step circuit breaker: one row per paused step, shared by every instance. `PAUSED` holds the
 * sagas about to run the step; `RESUMING` releases the held ones at `rate_per_sec` (counted in
 * `released` since `resumed_at`), and the row goes once none is held.
 */
export class CreateSagaStepPauses1796000000000 implements MigrationInterface {
  name = 'CreateSagaStepPauses1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE saga_step_pauses (
        step varchar(200) PRIMARY KEY,
        status varchar(16) NOT NULL,
        reason text NOT NULL,
        paused_by varchar(200) NOT NULL,
        paused_at timestamptz NOT NULL DEFAULT now(),
        resumed_by varchar(200),
        resumed_at timestamptz,
        resume_reason text,
        rate_per_sec double precision,
        released int NOT NULL DEFAULT 0,
        last_released_at timestamptz
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE saga_step_pauses`);
  }
}
