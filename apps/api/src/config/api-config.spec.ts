import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { parseAdminTokens } from '@nest-saga/admin';
import { startupBanner } from '../startup-banner.js';
import { ConfigError, loadConfig } from './api-config.js';

describe('loadConfig', () => {
  it('defaults to port 3000, the embedded database in ./.data, the demo on and a generated operator token', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe(`${process.cwd()}/.data`);
    expect(config.demo).toBe(true);
    expect(config.generatedToken).toBe(true);
    expect(config.adminTokens).toHaveLength(1);
    expect(config.adminTokens[0].role).toBe('operator');
    expect(config.adminTokens[0].token.length).toBeGreaterThanOrEqual(24);
    expect(loadConfig({}).adminTokens[0].token).not.toBe(config.adminTokens[0].token);
  });

  it("points the demo's payment step at this app unless SAGA_DEMO_PAYMENT_URL says otherwise, with a token of its own", () => {
    const own = loadConfig({});
    expect(own.demoPaymentServiceUrl).toBeUndefined();
    expect(own.demoPaymentServiceToken.length).toBeGreaterThanOrEqual(24);
    expect(loadConfig({}).demoPaymentServiceToken).not.toBe(own.demoPaymentServiceToken);
    expect(loadConfig({ SAGA_DEMO_PAYMENT_URL: 'http://payments.internal:3000/', SAGA_DEMO_PAYMENT_TOKEN: 'shared-secret' })).toMatchObject({
      demoPaymentServiceUrl: 'http://payments.internal:3000',
      demoPaymentServiceToken: 'shared-secret',
    });
    expect(() => loadConfig({ SAGA_DEMO_PAYMENT_URL: 'payments:3000' })).toThrow(ConfigError);
  });

  it('reads PORT, DATABASE_URL, SAGA_DEMO, SAGA_ADMIN_TOKENS and LOG_FORMAT', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u@db:5432/x',
      SAGA_DEMO: 'false',
      SAGA_ADMIN_TOKENS: 'viewer:viewer-token-1, operator:op:with:colons',
      LOG_FORMAT: 'json',
      SAGA_POLL_INTERVAL_MS: '200',
    });
    expect(config).toMatchObject({ port: 8080, databaseUrl: 'postgres://u@db:5432/x', demo: false, logFormat: 'json', generatedToken: false });
    expect(config.adminTokens).toEqual([
      { role: 'viewer', token: 'viewer-token-1' },
      { role: 'operator', token: 'op:with:colons' },
    ]);
    expect(config.sagaOptions).toEqual({ pollIntervalMs: 200, instanceId: `${hostname()}:8080` });
  });

  it('takes the instance id from SAGA_INSTANCE_ID (a pod name), else <hostname>:<PORT>, stable across restarts', () => {
    expect(loadConfig({ SAGA_INSTANCE_ID: ' orders-api-0 ' }).sagaOptions.instanceId).toBe('orders-api-0');
    expect(loadConfig({}).sagaOptions.instanceId).toBe(`${hostname()}:3000`);
    expect(loadConfig({}).sagaOptions.instanceId).toBe(loadConfig({}).sagaOptions.instanceId);
  });

  it('keeps finished sagas 30 days unless SAGA_RETENTION_DAYS says otherwise; 0 or off keeps them forever', () => {
    const day = 86_400_000;
    expect(loadConfig({}).retention).toEqual({ finishedAfterMs: 30 * day });
    expect(loadConfig({ SAGA_RETENTION_DAYS: ' 7 ' }).retention).toEqual({ finishedAfterMs: 7 * day });
    expect(loadConfig({ SAGA_RETENTION_DAYS: '0' }).retention).toBeNull();
    expect(loadConfig({ SAGA_RETENTION_DAYS: 'OFF' }).retention).toBeNull();
    for (const bad of ['-1', '1.5', 'forever', '30d', '99999999999']) {
      expect(() => loadConfig({ SAGA_RETENTION_DAYS: bad }), bad).toThrow(/SAGA_RETENTION_DAYS must be a whole number of days/);
    }
  });

  it('refuses malformed settings with a message that says what is expected', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT must be an integer/);
    expect(() => loadConfig({ SAGA_DEMO: 'maybe' })).toThrow(/SAGA_DEMO must be true or false/);
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
    expect(() => parseAdminTokens('admin:some-long-token')).toThrow(/viewer:<token>/);
    expect(() => parseAdminTokens('operator:short')).toThrow(/shorter than 8/);
    expect(() => parseAdminTokens('operator')).toThrow(/viewer:<token>/);
  });
});

describe('database pool settings', () => {
  it('default to a pool of 10 connections and a 5 s wait for one', () => {
    expect(loadConfig({})).toMatchObject({ databasePoolSize: 10, databaseConnectTimeoutMs: 5_000 });
    expect(loadConfig({ DATABASE_POOL_SIZE: ' ', DATABASE_CONNECT_TIMEOUT_MS: '' })).toMatchObject({ databasePoolSize: 10, databaseConnectTimeoutMs: 5_000 });
  });

  it('reads DATABASE_POOL_SIZE and DATABASE_CONNECT_TIMEOUT_MS', () => {
    expect(loadConfig({ DATABASE_POOL_SIZE: '40', DATABASE_CONNECT_TIMEOUT_MS: '1500' })).toMatchObject({
      databasePoolSize: 40,
      databaseConnectTimeoutMs: 1_500,
    });
  });

  it.each(['0', '-3', '2.5', 'ten', '1e400'])('refuses DATABASE_POOL_SIZE=%s at start, naming the variable and the value', (value) => {
    expect(() => loadConfig({ DATABASE_POOL_SIZE: value })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_POOL_SIZE: value })).toThrow(`DATABASE_POOL_SIZE must be an integer >= 1, not "${value}".`);
  });

  it('refuses a connection timeout of 0 (pg would wait forever) or one that is not a whole number', () => {
    expect(() => loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '0' })).toThrow(/DATABASE_CONNECT_TIMEOUT_MS must be an integer >= 1, not "0"/);
    expect(() => loadConfig({ DATABASE_CONNECT_TIMEOUT_MS: '5s' })).toThrow(/DATABASE_CONNECT_TIMEOUT_MS must be an integer >= 1, not "5s"/);
  });
});

describe('startup banner', () => {
  it('prints the dashboard URL with the generated operator token', () => {
    const config = loadConfig({ PORT: '3000' });
    const { log } = startupBanner(config, { port: 3000, dashboardBuilt: true });
    expect(log).toContain(
      `Dashboard (operator token made at start; set SAGA_ADMIN_TOKENS to choose tokens): http://localhost:3000/?token=${config.adminTokens[0].token}`,
    );
  });

  it('never prints a token that was configured', () => {
    const config = loadConfig({ PORT: '3000', SAGA_ADMIN_TOKENS: 'operator:configured-token-1' });
    const { log, warn } = startupBanner(config, { port: 4100, dashboardBuilt: false });
    expect(log.join('\n')).not.toContain('configured-token-1');
    expect(log).toContain('Dashboard: http://localhost:4100/');
    expect(warn.join('\n')).toContain('npm run build');
  });
});
