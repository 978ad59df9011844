/** Helpers for the browser tests: Chromium, the demo saga over the real API, and screenshots. */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SagaDetail, SagaStatus, SagaSummary } from '@nest-saga/contracts';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { TestApp } from '../../../api/test/support/test-app.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Laptop-sized by default; `E2E_VIEWPORT=1280x720` to look at another size. */
function viewport(): { width: number; height: number } {
  const [width, height] = (process.env.E2E_VIEWPORT ?? '1440x900').split('x').map(Number);
  return { width: width || 1440, height: height || 900 };
}

/** A tab that records any uncaught error in the page, for the test to assert there is none. */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: Error[] }> {
  const context = await browser.newContext({ viewport: viewport(), deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on('pageerror', (error) => errors.push(error));
  page.setDefaultTimeout(20_000);
  return { page, errors };
}

export interface OrderSimulation {
  failAt?: string;
  failTimes?: Record<string, number>;
  failCompensationAt?: string;
  failCompensationTimes?: Record<string, number>;
  delayMs?: Record<string, number>;
}

export function orderInput(orderId: string, simulate?: OrderSimulation) {
  return { orderId, customerId: `customer-${orderId}`, items: [{ sku: 'ITEM1', qty: 1 }], totalAmount: 25, ...(simulate ? { simulate } : {}) };
}

async function call<T>(app: TestApp, path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${app.baseUrl}/api${path}`, {
    ...init,
    headers: { authorization: `Bearer ${app.operatorToken}`, 'content-type': 'application/json', ...init.headers },
  });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export function startOrder(app: TestApp, orderId: string, simulate?: OrderSimulation): Promise<SagaSummary> {
  return call<SagaSummary>(app, '/sagas', { method: 'POST', body: JSON.stringify({ name: 'order', input: orderInput(orderId, simulate), idempotencyKey: orderId }) });
}

export function getSaga(app: TestApp, id: string): Promise<SagaDetail> {
  return call<SagaDetail>(app, `/sagas/${id}`);
}

/** Waits (through the API, not the page) until the saga reaches one of `statuses`. */
export async function waitForStatus(app: TestApp, id: string, statuses: SagaStatus[], timeoutMs = 20_000): Promise<SagaDetail> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const saga = await getSaga(app, id);
    if (statuses.includes(saga.status)) return saga;
    if (Date.now() > deadline) throw new Error(`Saga ${id} is ${saga.status}, expected ${statuses.join(' or ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Where screenshots go: docs/screenshots when UPDATE_SCREENSHOTS=1 (so an ordinary test run leaves
 * the work tree clean), a temp folder otherwise.
 */
export function screenshotDir(): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url)) : join(tmpdir(), 'saga-dashboard-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}
