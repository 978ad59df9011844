/**
 * docker-compose.yml, checked without a Docker engine: valid against the compose schema that dclint
 * bundles, lint-clean, and with the properties a production-like run needs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DCLinter } from 'dclint';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const composePath = `${root}docker-compose.yml`;

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(composePath, 'utf8'));

  it('is valid against the compose schema and passes dclint', () => {
    const linter = new DCLinter({ rules: {}, quiet: false, debug: false, exclude: [] });
    const [result] = linter.lintFiles([composePath], false);
    const errors = result.messages.filter((m: { type: string }) => m.type === 'error');
    expect(errors, JSON.stringify(result.messages, null, 2)).toEqual([]);
    expect(result.messages, JSON.stringify(result.messages, null, 2)).toEqual([]);
  });

  it('runs PostgreSQL with a healthcheck and a named volume', () => {
    const db = compose.services.db;
    expect(db.image).toMatch(/^postgres:\d+/);
    expect(db.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(db.volumes.some((v: string) => v.startsWith('db-data:/var/lib/postgresql/data'))).toBe(true);
    expect(compose.volumes).toHaveProperty('db-data');
  });

  it('builds the api from the Dockerfile, waits for a healthy database and configures it by environment', () => {
    const api = compose.services.api;
    expect(api.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    expect(api.depends_on.db.condition).toBe('service_healthy');
    expect(api.environment.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@db:5432\//);
    for (const key of ['PORT', 'SAGA_ADMIN_TOKENS', 'SAGA_DEMO', 'LOG_FORMAT']) expect(api.environment).toHaveProperty(key);
    expect(api.ports.some((p: string) => p.endsWith(':3000'))).toBe(true);
    expect(api.healthcheck.test.join(' ')).toContain('/api/health');
  });

  it('has a multi-stage Dockerfile that runs the built api as a non-root user', () => {
    const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/COPY --from=build/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/CMD \["node", "apps\/api\/dist\/main\.js"\]/);
    expect(readFileSync(`${root}.dockerignore`, 'utf8')).toMatch(/node_modules/);
  });

  it('installs every workspace package before npm ci, and ships the packages the api runs on', () => {
    const dockerfile = readFileSync(`${root}Dockerfile`, 'utf8');
    const workspaces = ['libs/saga-contracts', 'libs/saga', 'libs/saga-admin', 'apps/api', 'apps/dashboard'];
    for (const ws of workspaces) expect(dockerfile, ws).toContain(`COPY ${ws}/package.json ${ws}/`);
    for (const lib of ['libs/saga-contracts', 'libs/saga', 'libs/saga-admin', 'apps/api']) {
      expect(dockerfile, lib).toContain(`COPY --from=build /app/${lib}/dist ${lib}/dist`);
    }
  });
});
