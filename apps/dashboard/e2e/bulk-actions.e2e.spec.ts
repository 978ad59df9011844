/**
 * Bulk actions in real Chromium, against the real api, engine and PostgreSQL: an operator ticks
 * running sagas and cancels them, then selects every FAILED saga matching a filter and retries them;
 * each time the dry run comes first, the reason is required, and the progress is followed until it
 * is DONE. The sagas' statuses and histories are then checked through the API. A viewer sees no
 * bulk controls. Waits are on what the page or the API shows, never on fixed sleeps.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { SagaDetail } from '@nest-saga/contracts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, type TestApp } from '../../api/test/support/test-app.js';
import { getSaga, launchBrowser, openPage, screenshotDir, startOrder, waitForStatus } from './support/harness.js';

const bulkReasons = (saga: SagaDetail) => saga.events.map((e) => e.reason ?? '').filter((r) => r.startsWith('bulk '));

describe('bulk actions in Chromium', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: Error[];

  beforeAll(async () => {
    [app, browser] = await Promise.all([startTestApp({ config: { dashboardDir: inject('dashboardDir') } }), launchBrowser()]);
    ({ page, errors: pageErrors } = await openPage(browser));
    await page.goto(`${app.baseUrl}/?token=${app.operatorToken}`);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('cancels the ticked running sagas after the dry run, with a reason, and shows the progress until DONE', async () => {
    // Payment takes longer than its timeout on every attempt: these sagas stay RUNNING for half a minute.
    const slow = { delayMs: { 'process-payment': 60_000 } };
    const sagas = await Promise.all(['e2e-run-1', 'e2e-run-2', 'e2e-run-3'].map((key) => startOrder(app, key, slow)));
    for (const s of sagas) await waitForStatus(app, s.id, ['RUNNING']);
    const [first, second, untouched] = sagas as [SagaDetail, SagaDetail, SagaDetail];

    await page.goto(`${app.baseUrl}/sagas?q=e2e-run-`);
    const toolbar = page.getByRole('toolbar', { name: 'Bulk actions' });
    await page.getByRole('checkbox', { name: `Select saga ${first.id}` }).check();
    await page.getByRole('checkbox', { name: `Select saga ${second.id}` }).check();
    await toolbar.getByText('2 sagas selected.').waitFor();
    await toolbar.getByRole('button', { name: 'Cancel…' }).click();

    const dialog = page.getByRole('dialog', { name: 'Cancel sagas in bulk' });
    const dryRun = dialog.getByRole('region', { name: 'Dry run' });
    await dryRun.getByText('2 sagas will be cancelled.').waitFor();
    await dryRun.getByRole('list', { name: 'Compensations of order, in the order they run' }).getByText('reserve-inventory').waitFor();
    // The reason is required before anything is sent.
    await dialog.getByRole('button', { name: 'Cancel 2 sagas' }).click();
    await dialog.getByRole('alert').getByText(/Give a reason/).waitFor();
    await dialog.getByLabel(/Reason/).fill('customer asked to stop these orders');
    await page.screenshot({ path: join(screenshotDir(), 'bulk-dry-run.png') });
    await dialog.getByRole('button', { name: 'Cancel 2 sagas' }).click();

    await page.waitForURL(/[?&]bulk=[0-9a-f-]{36}/);
    const bulkId = new URL(page.url()).searchParams.get('bulk')!;
    const progress = page.getByRole('region', { name: 'Bulk action' });
    await progress.getByText('DONE', { exact: true }).waitFor({ timeout: 60_000 });
    await progress.getByText('2 of 2 sagas done (100%)').waitFor();
    expect(await progress.getByRole('table', { name: 'Sagas the bulk action could not act on' }).count()).toBe(0);
    await page.screenshot({ path: join(screenshotDir(), 'bulk-progress.png') });

    for (const s of [first, second]) {
      const done = await waitForStatus(app, s.id, ['CANCELLED'], 60_000);
      expect(bulkReasons(done)).toContain(`bulk ${bulkId}: customer asked to stop these orders`);
    }
    const other = await getSaga(app, untouched.id);
    expect(other.status).not.toBe('CANCELLED');
    expect(bulkReasons(other)).toEqual([]);

    // The link reproduces the view.
    await page.goto(`${app.baseUrl}/sagas?bulk=${bulkId}`);
    await page.getByRole('region', { name: 'Bulk action' }).getByText('2 of 2 sagas done (100%)').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('retries every FAILED saga matching a filter (the filter is sent, not the rows), and they end COMPENSATED', async () => {
    // Shipment fails, and releasing the stock fails three times: FAILED; a retry's fourth attempt succeeds.
    const failing = { failAt: 'create-shipment', failCompensationTimes: { 'reserve-inventory': 3 } };
    const keys = ['e2e-failed-1', 'e2e-failed-2', 'e2e-failed-3'];
    const sagas = await Promise.all(keys.map((key) => startOrder(app, key, failing)));
    for (const s of sagas) await waitForStatus(app, s.id, ['FAILED'], 60_000);

    await page.goto(`${app.baseUrl}/sagas?status=FAILED&q=e2e-failed-`);
    for (const key of keys) await page.getByText(key, { exact: true }).waitFor();
    const toolbar = page.getByRole('toolbar', { name: 'Bulk actions' });
    await toolbar.getByRole('button', { name: 'Select all matching this filter' }).click();
    await toolbar.getByText('All 3 sagas matching status FAILED · search "e2e-failed-" are selected, on every page.').waitFor();
    await toolbar.getByRole('button', { name: 'Retry…' }).click();

    const dialog = page.getByRole('dialog', { name: 'Retry sagas in bulk' });
    await dialog.getByText('Every saga matching status FAILED · search "e2e-failed-", on every page.').waitFor();
    const dryRun = dialog.getByRole('region', { name: 'Dry run' });
    await dryRun.getByText('3 sagas will be retried.').waitFor();
    await dryRun.getByRole('list', { name: 'Sagas to act on, by status' }).getByText('3', { exact: true }).waitFor();
    await dryRun.getByRole('list', { name: 'Compensations of order, in the order they run' }).getByText('reserve-inventory').waitFor();
    await dialog.getByLabel(/Reason/).fill('warehouse is back online');
    await page.screenshot({ path: join(screenshotDir(), 'bulk-retry-dialog.png') });
    await dialog.getByRole('button', { name: 'Retry 3 sagas' }).click();

    await page.waitForURL(/[?&]bulk=[0-9a-f-]{36}/);
    const bulkId = new URL(page.url()).searchParams.get('bulk')!;
    expect(new URL(page.url()).searchParams.getAll('status')).toEqual(['FAILED']);
    const progress = page.getByRole('region', { name: 'Bulk action' });
    await progress.getByText('DONE', { exact: true }).waitFor({ timeout: 60_000 });
    await progress.getByText('3 of 3 sagas done (100%)').waitFor();

    for (const s of sagas) {
      const done = await waitForStatus(app, s.id, ['COMPENSATED'], 60_000);
      expect(bulkReasons(done)).toContain(`bulk ${bulkId}: warehouse is back online`);
    }
    // The list (still filtered on FAILED) empties as they finish.
    await page.getByText('No sagas match these filters').waitFor({ timeout: 30_000 });
    expect(pageErrors).toEqual([]);
  });

  it('shows a viewer no selection boxes and no bulk controls', async () => {
    const viewer = await openPage(browser);
    try {
      await viewer.page.goto(`${app.baseUrl}/?token=${app.viewerToken}`);
      await viewer.page.getByText('viewer', { exact: true }).waitFor();
      await viewer.page.goto(`${app.baseUrl}/sagas?q=e2e-`);
      await viewer.page.getByText('e2e-run-1', { exact: true }).waitFor();
      expect(await viewer.page.getByRole('toolbar', { name: 'Bulk actions' }).count()).toBe(0);
      expect(await viewer.page.getByRole('checkbox', { name: /^Select / }).count()).toBe(0);
      expect(await viewer.page.getByRole('button', { name: /Select all matching|Cancel…|Retry…|Compensate…|Pause…|Resume…/ }).count()).toBe(0);
      expect(viewer.errors).toEqual([]);
    } finally {
      await viewer.page.context().close();
    }
  });
});
