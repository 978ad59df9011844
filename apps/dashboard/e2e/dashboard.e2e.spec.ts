/**
 * The dashboard in real Chromium against the real api on a fresh PostgreSQL database, with the demo
 * `order` saga. Scenarios run in order in one operator tab (the token lives in the tab's
 * sessionStorage), plus one viewer tab. Waits are on what the page shows, never on fixed sleeps.
 */
import { join } from 'node:path';
import type { SagaSummary } from '@nest-saga/contracts';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, type TestApp } from '../../api/test/support/test-app.js';
import { getSaga, launchBrowser, openPage, screenshotDir, startOrder, waitForStatus } from './support/harness.js';

describe('operator dashboard in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: Error[];
  const sagas: Record<string, SagaSummary> = {};

  const headerStatus = (p: Page, status: string) => p.locator('.saga-title .status-badge', { hasText: new RegExp(`^${status}$`) });
  const dialog = (p: Page) => p.getByRole('dialog');

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp({
        config: { dashboardDir: inject('dashboardDir') },
        // The demo's simulated failures are expected here: keep the output for real problems.
        logLevel: (process.env.LOG_LEVEL as 'error' | undefined) ?? 'error',
      }), launchBrowser()]);
    // Sagas in every interesting state, through the real API and engine.
    const seeds = {
      completed: startOrder(app, 'ord-1001'),
      retried: startOrder(app, 'ord-1002', { failTimes: { 'process-payment': 2 } }),
      declined: startOrder(app, 'ord-1003', { failAt: 'process-payment' }),
      failed: startOrder(app, 'ord-1004', { failAt: 'create-shipment', failCompensationAt: 'reserve-inventory' }),
      failedForViewer: startOrder(app, 'ord-1005', { failAt: 'create-shipment', failCompensationAt: 'reserve-inventory' }),
      completed2: startOrder(app, 'ord-1006'),
    };
    for (const [key, promise] of Object.entries(seeds)) sagas[key] = await promise;
    await Promise.all([
      waitForStatus(app, sagas.completed!.id, ['COMPLETED']),
      waitForStatus(app, sagas.retried!.id, ['COMPLETED']),
      waitForStatus(app, sagas.declined!.id, ['COMPENSATED']),
      waitForStatus(app, sagas.failed!.id, ['FAILED']),
      waitForStatus(app, sagas.failedForViewer!.id, ['FAILED']),
      waitForStatus(app, sagas.completed2!.id, ['COMPLETED']),
    ]);
    ({ page, errors: pageErrors } = await openPage(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('signs in with the token from the address the api printed, then drops it from the address bar', async () => {
    await page.goto(`${app.baseUrl}/?token=${app.operatorToken}`);

    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(page.url()).toBe(`${app.baseUrl}/`);
    expect(await page.evaluate(() => sessionStorage.getItem('nest-saga.admin-token'))).toBe(app.operatorToken);
    await page.getByText('operator', { exact: true }).waitFor();
    // The counts come from the real /api/stats.
    await page.getByRole('link', { name: /^Failed 2/ }).waitFor();
    await page.screenshot({ path: join(screenshotDir(), 'overview.png') });
  });

  it('lists the sagas and filters them by status, with the filter in the URL', async () => {
    // A saga still running, so the list shows one.
    sagas.slow = await startOrder(app, 'ord-1007', { delayMs: { 'process-payment': 5_000 } });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sagas' }).click();
    await page.waitForURL(`${app.baseUrl}/sagas`);
    const rows = page.locator('table.sagas-table tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(7);
    await page.getByRole('row', { name: /ord-1007/ }).getByText('RUNNING').waitFor();
    await page.screenshot({ path: join(screenshotDir(), 'sagas-list.png') });

    await page.getByRole('button', { name: 'FAILED', exact: true }).click();
    await page.waitForURL(`${app.baseUrl}/sagas?status=FAILED`);
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    const texts = await rows.allInnerTexts();
    expect(texts.filter((t) => t.includes('ord-1004') || t.includes('ord-1005'))).toHaveLength(2);
    // An operator's rows start with their bulk-selection box, then the status.
    expect(texts.every((t) => t.trim().startsWith('FAILED'))).toBe(true);

    // The URL alone reproduces the view.
    await page.goto(`${app.baseUrl}/sagas?status=COMPENSATED`);
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().innerText()).toContain('ord-1003');
    expect(await page.getByRole('button', { name: 'COMPENSATED', exact: true }).getAttribute('aria-pressed')).toBe('true');
  });

  it('opens a failed saga and resolves its failed compensation with a reason', async () => {
    await page.goto(`${app.baseUrl}/sagas?status=FAILED&q=ord-1004`);
    await page.getByRole('link', { name: `Saga ${sagas.failed!.id}` }).click();
    await page.waitForURL(`${app.baseUrl}/sagas/${sagas.failed!.id}`);
    await headerStatus(page, 'FAILED').waitFor();
    const reserve = page.getByRole('listitem', { name: 'Step 2: reserve-inventory, COMPENSATION_FAILED' });
    await reserve.waitFor();
    await page.screenshot({ path: join(screenshotDir(), 'saga-detail.png'), fullPage: true });

    await reserve.getByRole('button', { name: 'Resolve…' }).click();
    await dialog(page).getByRole('button', { name: 'Mark as compensated' }).click();
    await dialog(page).getByText(/Give a reason/).waitFor();

    await dialog(page).getByRole('textbox').fill('Released the hold in the warehouse system by hand (ticket OPS-42)');
    await dialog(page).getByRole('button', { name: 'Mark as compensated' }).click();

    await page.getByRole('status').filter({ hasText: 'marked as compensated' }).waitFor();
    await headerStatus(page, 'COMPENSATED').waitFor();
    const saga = await getSaga(app, sagas.failed!.id);
    expect(saga.status).toBe('COMPENSATED');
    expect(saga.events.some((e) => e.reason === 'Released the hold in the warehouse system by hand (ticket OPS-42)')).toBe(true);

    await page.getByRole('tab', { name: /History/ }).click();
    await page.getByRole('table', { name: 'Event history' }).getByText('Released the hold in the warehouse system by hand (ticket OPS-42)').first().waitFor();
    await page.screenshot({ path: join(screenshotDir(), 'saga-history.png'), fullPage: true });
    await page.getByRole('tab', { name: 'Input & output' }).click();
    await page.getByLabel('Input', { exact: true }).getByText('"orderId": "ord-1004"').waitFor();
    await page.screenshot({ path: join(screenshotDir(), 'saga-data.png') });
  });

  it('compensates a completed saga with a reason and shows the status change', async () => {
    await page.goto(`${app.baseUrl}/sagas/${sagas.completed!.id}`);
    await headerStatus(page, 'COMPLETED').waitFor();
    await page.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Compensate…' }).click();

    const plan = dialog(page).getByRole('list');
    expect(await plan.getByRole('listitem').allInnerTexts()).toEqual([
      expect.stringContaining('create-shipment'),
      expect.stringContaining('process-payment'),
      expect.stringContaining('reserve-inventory'),
    ]);
    await dialog(page).getByRole('textbox').fill('Customer returned the parcel');
    await page.screenshot({ path: join(screenshotDir(), 'compensate-dialog.png') });
    await dialog(page).getByRole('button', { name: 'Compensate', exact: true }).click();

    await page.getByRole('status').filter({ hasText: 'Compensation accepted' }).waitFor();
    await headerStatus(page, 'COMPENSATED').waitFor();
    await page.getByRole('listitem', { name: 'Step 4: create-shipment, COMPENSATED' }).waitFor();
  });

  it('opens a failed saga, compensates it with a reason and watches it end COMPENSATED', async () => {
    // The release of the stock fails three times (every attempt it has), then would succeed.
    const failed = await startOrder(app, 'ord-1008', { failAt: 'create-shipment', failCompensationTimes: { 'reserve-inventory': 3 } });
    await waitForStatus(app, failed.id, ['FAILED']);
    await page.goto(`${app.baseUrl}/sagas/${failed.id}`);
    await headerStatus(page, 'FAILED').waitFor();
    await page.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Compensate…' }).click();

    const plan = dialog(page).getByRole('list');
    expect(await plan.getByRole('listitem').allInnerTexts()).toEqual([expect.stringContaining('reserve-inventory')]);
    await dialog(page).getByRole('textbox').fill('Warehouse API is back');
    await dialog(page).getByRole('button', { name: 'Compensate', exact: true }).click();

    await headerStatus(page, 'COMPENSATED').waitFor();
    await page.getByRole('listitem', { name: 'Step 2: reserve-inventory, COMPENSATED' }).waitFor();
    const saga = await getSaga(app, failed.id);
    expect(saga.events.some((e) => e.type === 'COMPENSATION_STARTED' && e.reason === 'Warehouse API is back' && e.actor === 'operator')).toBe(true);
  });

  it('cancels a running saga', async () => {
    const running = await startOrder(app, 'ord-2001', { delayMs: { 'process-payment': 5_000 } });
    await page.goto(`${app.baseUrl}/sagas/${running.id}`);
    await page.getByRole('listitem', { name: 'Step 3: process-payment, RUNNING' }).waitFor();

    await page.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Cancel…' }).click();
    await dialog(page).getByRole('textbox').fill('Duplicate order');
    await dialog(page).getByRole('button', { name: 'Cancel saga' }).click();

    await page.getByRole('status').filter({ hasText: 'Cancel accepted' }).waitFor();
    await headerStatus(page, 'CANCELLED').waitFor();
    expect((await getSaga(app, running.id)).status).toBe('CANCELLED');
    // Finished: no actions left but none.
    expect(await page.getByRole('group', { name: 'Actions' }).count()).toBe(0);
  });

  it('refuses an action the saga no longer allows, in words', async () => {
    // Another operator cancels through the API while this page still shows the saga running.
    const running = await startOrder(app, 'ord-2002', { delayMs: { 'process-payment': 5_000 } });
    await page.goto(`${app.baseUrl}/sagas/${running.id}`);
    await page.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Pause…' }).click();
    await fetch(`${app.baseUrl}/api/sagas/${running.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${app.operatorToken}`, 'content-type': 'application/json' }, body: '{}' });
    await waitForStatus(app, running.id, ['CANCELLED']);

    // The dialog may already know (it polls); if not, the server says 409.
    const confirm = dialog(page).getByRole('button', { name: 'Pause', exact: true });
    if (await confirm.isEnabled()) await confirm.click();
    await dialog(page).getByText(/no longer allow/).first().waitFor();
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'detached' });
    await headerStatus(page, 'CANCELLED').waitFor();
  });

  it('shows a viewer the sagas but no action buttons', async () => {
    const viewer = await openPage(browser);
    try {
      await viewer.page.goto(`${app.baseUrl}/?token=${app.viewerToken}`);
      await viewer.page.getByText('viewer', { exact: true }).waitFor();
      await viewer.page.goto(`${app.baseUrl}/sagas/${sagas.failedForViewer!.id}`);
      await headerStatus(viewer.page, 'FAILED').waitFor();
      await viewer.page.getByRole('listitem', { name: 'Step 2: reserve-inventory, COMPENSATION_FAILED' }).waitFor();

      expect(await viewer.page.getByRole('group', { name: 'Actions' }).count()).toBe(0);
      expect(await viewer.page.getByRole('button', { name: /Retry|Resolve|Cancel|Compensate|Pause|Resume/ }).count()).toBe(0);
      await viewer.page.goto(`${app.baseUrl}/definitions`);
      await viewer.page.getByRole('article', { name: 'order' }).waitFor();
      await viewer.page.screenshot({ path: join(screenshotDir(), 'definitions.png') });
      expect(await viewer.page.getByRole('button', { name: 'Start a saga…' }).count()).toBe(0);
      expect(viewer.errors).toEqual([]);
    } finally {
      await viewer.page.context().close();
    }
  });

  it('raised no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
