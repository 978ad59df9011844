import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for a table of millions of sagas. `q` finds sagas by a prefix of their idempotency key
 * (`LIKE 'ord-12%'`): the unique index cannot serve a prefix under a non-C collation, a
 * `varchar_pattern_ops` one can. The stats count unfinished sagas by status and name on every
 * call: a partial covering index makes that an index-only scan of the unfinished rows alone.
 */
export class IndexIdempotencyKeyPrefix1764500000000 implements MigrationInterface {
  name = 'IndexIdempotencyKeyPrefix1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX ix_saga_instances_idempotency_prefix ON saga_instances (idempotency_key varchar_pattern_ops)`);
    await queryRunner.query(
      `CREATE INDEX ix_saga_instances_unfinished ON saga_instances (status, name, stuck_since) WHERE status NOT IN ('COMPLETED', 'COMPENSATED', 'CANCELLED')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_saga_instances_unfinished`);
    await queryRunner.query(`DROP INDEX ix_saga_instances_idempotency_prefix`);
  }
}
