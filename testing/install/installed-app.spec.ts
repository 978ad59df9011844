/**
 * A team's view of the product: the three packages packed with `npm pack`, installed from their
 * tarballs (with the peers a Nest app has) into a Nest app in a temporary folder outside the
 * workspace, compiled by `tsc` as CommonJS and as ESM, started on PostgreSQL with a saga of its own
 * and the console at `/ops`, and driven through the console's API and in Chromium.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../apps/dashboard/e2e/support/harness.js';
import { createTestDatabase, type TestDatabase } from '../test-database.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const PACKAGES = { contracts: 'libs/saga-contracts', saga: 'libs/saga', admin: 'libs/saga-admin' } as const;
/** What a Nest app on PostgreSQL already has, at the versions this workspace runs. */
const PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  '@nestjs/typeorm',
  '@nestjs/schedule',
  '@nestjs/swagger',
  'typeorm',
  'pg',
  'reflect-metadata',
  'rxjs',
  'class-validator',
  'class-transformer',
  '@types/node',
];
const OPERATOR = 'operator-token-install-1';
const VIEWER = 'viewer-token-install-1';

function version(pkg: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

/** npm settings of the `npm test` that runs us must not leak into the scratch app's install. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  return { ...env, ...extra };
}

interface Started {
  url: string;
  process: ChildProcess;
  output: string[];
}

async function startApp(main: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [main], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start:\n${output.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const match = /LISTENING (\d+)/.exec(output.join(''));
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with ${code}:\n${output.join('')}`));
    });
  });
  return { url: `http://127.0.0.1:${port}`, process: child, output };
}

async function call(url: string, init: RequestInit & { token?: string } = {}): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const response = await fetch(url, { ...init, headers });
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text, headers: response.headers };
}

async function runSaga(api: string, orderId: string): Promise<{ id: string; status: string }> {
  const started = await call(`${api}/sagas`, {
    method: 'POST',
    token: OPERATOR,
    body: JSON.stringify({ name: 'checkout', input: { orderId, amount: 42 }, idempotencyKey: `order-${orderId}` }),
  });
  expect(started.status, started.text).toBe(201);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const saga = await call(`${api}/sagas/${started.body.id}`, { token: OPERATOR });
    if (saga.body.status === 'COMPLETED' || Date.now() > deadline) return saga.body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('installed into a Nest app outside the workspace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nest-saga-install-'));
  const app = join(dir, 'app');
  const tarballs: Record<keyof typeof PACKAGES, string> = { contracts: '', saga: '', admin: '' };
  const databases: TestDatabase[] = [];
  const processes: ChildProcess[] = [];

  beforeAll(async () => {
    mkdirSync(join(dir, 'tarballs'));
    for (const [key, folder] of Object.entries(PACKAGES) as [keyof typeof PACKAGES, string][]) {
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', join(dir, 'tarballs')], { cwd: join(ROOT, folder), env: cleanEnv() });
      tarballs[key] = join(dir, 'tarballs', (JSON.parse(stdout) as { filename: string }[])[0].filename);
    }
    mkdirSync(app);
    const dependencies: Record<string, string> = {
      '@nest-saga/contracts': `file:${tarballs.contracts}`,
      '@nest-saga/saga': `file:${tarballs.saga}`,
      '@nest-saga/admin': `file:${tarballs.admin}`,
    };
    for (const peer of PEERS) dependencies[peer] = version(peer);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-nest-app', version: '1.0.0', private: true, dependencies }, null, 2));
    // The npm cache of this machine keeps this quick; the registry is asked only for what it lacks.
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 });

    const fixture = fileURLToPath(new URL('./fixture/src', import.meta.url));
    const compilerOptions = {
      target: 'ES2022',
      module: 'nodenext',
      moduleResolution: 'nodenext',
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      strict: true,
      strictPropertyInitialization: false,
      skipLibCheck: true,
      rootDir: 'src',
      outDir: 'dist',
      types: ['node'],
    };
    for (const [flavour, type] of [['cjs', 'commonjs'], ['esm', 'module']] as const) {
      cpSync(fixture, join(app, flavour, 'src'), { recursive: true });
      writeFileSync(join(app, flavour, 'package.json'), JSON.stringify({ type }));
      writeFileSync(join(app, flavour, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
    }
    // An older CommonJS setup that ignores `exports`: the types must still resolve.
    writeFileSync(
      join(app, 'cjs', 'tsconfig.node10.json'),
      JSON.stringify({ compilerOptions: { ...compilerOptions, module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0', noEmit: true, rootDir: undefined }, files: ['node10-check.ts'] }),
    );
    writeFileSync(
      join(app, 'cjs', 'node10-check.ts'),
      [
        "import { SagaModule, SagaService, type SagaStepHandler } from '@nest-saga/saga';",
        "import { createSagaTestingModule } from '@nest-saga/saga/testing';",
        "import { RedisSagaStore } from '@nest-saga/saga/redis';",
        "import { SagaAdminModule } from '@nest-saga/admin';",
        "import { canCancel, type SagaStatus } from '@nest-saga/contracts';",
        'export const used = [SagaModule, SagaService, SagaAdminModule, canCancel, createSagaTestingModule, RedisSagaStore];',
        'export type Used = SagaStepHandler<unknown, unknown> | SagaStatus;',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    for (const child of processes) child.kill('SIGKILL');
    for (const db of databases) await db.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('packs compiled code, types, README and LICENSE, and no sources, tests or source maps', async () => {
    for (const tarball of Object.values(tarballs)) {
      const { stdout } = await run('tar', ['-tzf', tarball]);
      const files = stdout.trim().split('\n');
      expect(files).toEqual(expect.arrayContaining(['package/package.json', 'package/README.md', 'package/LICENSE', 'package/dist/index.js', 'package/dist/index.d.ts']));
      expect(files.filter((f) => /^package\/(src|test)\/|\.spec\.|\.test\.|\.map$|\.ts$(?<!\.d\.ts$)/.test(f)), tarball).toEqual([]);
      const manifest = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'])).stdout) as Record<string, any>;
      expect(manifest.private).toBeUndefined();
      expect(manifest.license).toBe('MIT');
      expect(JSON.stringify(manifest.exports)).not.toContain('source');
    }
    // The Redis store is an entry of its own: apps without Redis never load its client.
    expect((await run('tar', ['-tzf', tarballs.saga])).stdout).toContain('package/dist/redis/index.d.ts');
    const admin = (await run('tar', ['-tzf', tarballs.admin])).stdout;
    expect(admin).toContain('package/dist/console/index.html');
  });

  it('type-checks with "moduleResolution": "node10", which reads only main and types', async () => {
    await run(process.execPath, [TSC, '-p', 'tsconfig.node10.json'], { cwd: join(app, 'cjs') }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc (node10) failed:\n${error.stdout}`);
    });
  });

  it('runs as CommonJS: a saga of its own completes through /ops/api, and the console shows it in Chromium', async () => {
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: join(app, 'cjs') }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc (CommonJS) failed:\n${error.stdout}`);
    });
    expect(readFileSync(join(app, 'cjs/dist/main.js'), 'utf8')).toContain('require(');
    const db = await createTestDatabase('saga_install');
    databases.push(db);
    const started = await startApp(join(app, 'cjs/dist/main.js'), { DATABASE_URL: db.url, SAGA_ADMIN_TOKENS: `operator:${OPERATOR},viewer:${VIEWER}` });
    processes.push(started.process);
    const api = `${started.url}/ops/api`;

    expect((await call(`${api}/health`)).body).toEqual({ status: 'ok', database: 'up' });
    expect((await call(`${api}/sagas`)).status).toBe(401);
    expect((await call(`${api}/sagas`, { method: 'POST', token: VIEWER, body: '{}' })).status).toBe(403);
    expect((await call(`${api}/saga-definitions`, { token: VIEWER })).body.map((d: { name: string }) => d.name)).toEqual(['checkout']);
    const saga = await runSaga(api, 'o-1');
    expect(saga.status).toBe('COMPLETED');
    // The host's own routes are untouched by the console.
    expect((await call(`${started.url}/orders/ping`)).body).toEqual({ ok: true });
    expect((await call(`${api}/no-such-route`, { token: OPERATOR })).body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors: Error[] = [];
      page.on('pageerror', (error) => errors.push(error));
      await page.goto(`${started.url}/ops/?token=${OPERATOR}`);
      await page.getByRole('heading', { name: 'Overview' }).waitFor({ timeout: 20_000 });
      expect(page.url()).toBe(`${started.url}/ops/`);
      await page.getByRole('link', { name: 'Sagas', exact: true }).first().click();
      await page.getByText('order-o-1').first().waitFor({ timeout: 20_000 });
      expect(new URL(page.url()).pathname).toBe('/ops/sagas');
      // A shared link to the list opens at the same place.
      await page.goto(`${started.url}/ops/sagas/${saga.id}`);
      await page.getByText('take-payment').first().waitFor({ timeout: 20_000 });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('runs as ESM behind a global prefix: the console follows the prefix, the host keeps its routes', async () => {
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: join(app, 'esm') }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc (ESM) failed:\n${error.stdout}`);
    });
    expect(readFileSync(join(app, 'esm/dist/main.js'), 'utf8')).toMatch(/^import /m);
    const db = await createTestDatabase('saga_install');
    databases.push(db);
    const started = await startApp(join(app, 'esm/dist/main.js'), {
      DATABASE_URL: db.url,
      SAGA_ADMIN_TOKENS: `operator:${OPERATOR}`,
      GLOBAL_PREFIX: 'v1',
    });
    processes.push(started.process);
    const saga = await runSaga(`${started.url}/v1/ops/api`, 'o-2');
    expect(saga.status).toBe('COMPLETED');
    expect((await call(`${started.url}/v1/orders/${saga.id}`)).body).toEqual({ id: saga.id, status: 'COMPLETED' });
    // A SagaError thrown from the host's own controller: the 404 and body of the console's API.
    const missing = await call(`${started.url}/v1/orders/7d0c8f44-52a8-4c9e-9d1e-0a4b7e3e9f10`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ statusCode: 404, code: 'SAGA_NOT_FOUND' });
    const page = await call(`${started.url}/v1/ops/sagas/${saga.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<base href="/v1/ops/">');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('runs without prom-client, and with metrics turned on anyway stops at bootstrap saying what to install', async () => {
    // Only the declared peers were installed: the optional prom-client is not among them.
    expect(existsSync(join(app, 'node_modules/prom-client'))).toBe(false);
    const db = await createTestDatabase('saga_install');
    databases.push(db);
    const failed = await startApp(join(app, 'esm/dist/main.js'), { DATABASE_URL: db.url, SAGA_ADMIN_TOKENS: `operator:${OPERATOR}`, SAGA_METRICS: 'true' }).then(
      (started) => {
        processes.push(started.process);
        return null;
      },
      (error: Error) => error,
    );
    expect(failed?.message).toMatch(/SagaMetricsUnavailableError/);
    expect(failed?.message).toContain('npm install prom-client');
  });
});
