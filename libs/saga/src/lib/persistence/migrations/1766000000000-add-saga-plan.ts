import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each saga stores its plan (ordered steps with params and effective policies, definition name and
 * version) when it starts, and runs by it to the end. Nullable: sagas stored before keep working
 * (their plan is derived from their stored steps). A metadata-only change: no table rewrite.
 */
export class AddSagaPlan1766000000000 implements MigrationInterface {
  name = 'AddSagaPlan1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE saga_instances ADD COLUMN plan jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE saga_instances DROP COLUMN plan`);
  }
}
