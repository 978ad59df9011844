/** The built dashboard at `/` with a fallback to index.html for client routes; the API keeps `/api`. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaAdminDashboardDir } from '@nest-saga/admin';
import { ApiClient } from './support/http.js';
import { startTestApp, type TestApp } from './support/test-app.js';

describe('dashboard serving', () => {
  const dir = mkdtempSync(join(tmpdir(), 'saga-dashboard-'));
  let built: TestApp;

  beforeAll(async () => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><html><body><div id="root"></div>SAGA-DASHBOARD</body></html>');
    writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log("app")');
    built = await startTestApp({ demo: false, config: { dashboardDir: dir } });
  });
  afterAll(async () => {
    await built?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the dashboard shipped in @nest-saga/admin from its own location, whatever the working directory', () => {
    expect(sagaAdminDashboardDir().replace(/\\/g, '/')).toMatch(/\/libs\/saga-admin\/dist\/console$/);
  });

  it('serves index.html at / and for client routes, and the assets as files', async () => {
    const api = new ApiClient(built);
    for (const path of ['/', '/sagas', '/sagas/0b5c2f8e-2f7e-4f51-9d3c-4a1c6f0e7d11', '/definitions', '/?token=abc']) {
      const res = await api.get(path, 'none');
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(res.text).toContain('SAGA-DASHBOARD');
      // The URL may carry the operator token: it must not leak as a Referer.
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    const asset = await api.get('/assets/app-1234.js', 'none');
    expect(asset.status).toBe(200);
    expect(asset.text).toContain('console.log');
    expect((await api.get('/assets/missing-1.js', 'none')).status).toBe(404);
  });

  it('leaves /api and /metrics to the server', async () => {
    const api = new ApiClient(built);
    const missing = await api.get('/api/no-such-route', 'none');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect((await api.get('/api/health', 'none')).body).toEqual({ status: 'ok', database: 'up' });
    expect((await api.get('/metrics', 'none')).text).toContain('saga_stuck');
  });

});

describe('dashboard not built', () => {
  let notBuilt: TestApp;
  beforeAll(async () => {
    notBuilt = await startTestApp({ demo: false, config: { dashboardDir: join(tmpdir(), 'no-such-dashboard-dist') } });
  });
  afterAll(async () => {
    await notBuilt?.close();
  });

  it('says how to build the dashboard', async () => {
    const api = new ApiClient(notBuilt);
    const res = await api.get('/sagas', 'none');
    expect(res.status).toBe(200);
    expect(res.text).toContain('npm run build');
    expect((await api.get('/api/health', 'none')).status).toBe(200);
  });
});
