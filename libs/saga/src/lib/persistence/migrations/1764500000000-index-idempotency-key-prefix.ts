import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `q` finds sagas by a prefix of their idempotency key (`LIKE 'ord-12%'`). The unique index cannot
 * serve a prefix under a non-C collation; a `varchar_pattern_ops` index can, so a search stays an
 * index scan on a table of millions of sagas.
 */
export class IndexIdempotencyKeyPrefix1764500000000 implements MigrationInterface {
  name = 'IndexIdempotencyKeyPrefix1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX ix_saga_instances_idempotency_prefix ON saga_instances (idempotency_key varchar_pattern_ops)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_saga_instances_idempotency_prefix`);
  }
}
