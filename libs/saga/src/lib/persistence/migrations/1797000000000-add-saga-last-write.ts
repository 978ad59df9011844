import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The seq of the last checkpoint applied to a saga under its current `fence` (a claim, which
 * bumps the fence, clears it), so that a checkpoint the
 * engine writes again after its reply was lost (the connection dropped after the commit) is
 * recognised and not applied twice. Nullable and without a default: adding it rewrites no row.
 */
export class AddSagaLastWrite1797000000000 implements MigrationInterface {
  name = 'AddSagaLastWrite1797000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE saga_instances ADD COLUMN last_write_seq integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE saga_instances DROP COLUMN last_write_seq`);
  }
}
