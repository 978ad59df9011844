/**
 * The step circuit breaker in real Chromium, against the real api and engine: an operator pauses a
 * demo step from the Paused steps panel, orders pile up at it (the panel counts them), and resuming
 * with a rate lets them all complete.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, type TestApp } from '../../api/test/support/test-app.js';
import { getSaga, launchBrowser, openPage, screenshotDir, startOrder, waitForStatus } from './support/harness.js';

describe('step circuit breaker in Chromium', () => {
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

  it('pauses a step, shows the orders waiting at it, and resumes it with a rate until every order completes', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Definitions' }).click();
    const panel = page.getByRole('region', { name: 'Paused steps' });
    await panel.getByText('No step is paused', { exact: false }).waitFor();

    await panel.getByRole('button', { name: 'Pause a step…' }).click();
    let dialog = page.getByRole('dialog', { name: 'Pause a step everywhere?' });
    await dialog.getByLabel('Step').selectOption('create-shipment');
    await dialog.getByLabel(/Reason/).fill('carrier API down');
    await dialog.getByRole('button', { name: 'Pause step' }).click();
    await dialog.waitFor({ state: 'detached' });
    await panel.getByRole('status').getByText('“create-shipment” is paused', { exact: false }).waitFor();
    const row = panel.getByRole('row', { name: 'Paused step create-shipment' });
    await row.getByText('carrier API down').waitFor();

    const orders = await Promise.all(['brk-1', 'brk-2', 'brk-3'].map((id) => startOrder(app, id)));
    for (const order of orders) {
      const held = await waitForStatus(app, order.id, ['PAUSED']);
      expect(held.error?.code).toBe('STEP_PAUSED');
      expect(held.steps.find((s) => s.name === 'create-shipment')).toMatchObject({ status: 'PENDING', attempts: 0 });
    }
    // The panel refreshes by itself.
    await row.getByLabel('3 sagas waiting').waitFor();
    await page.screenshot({ path: join(screenshotDir(), 'paused-steps.png') });

    await row.getByRole('button', { name: 'Resume create-shipment…' }).click();
    dialog = page.getByRole('dialog', { name: 'Resume “create-shipment”?' });
    await dialog.getByLabel(/Reason/).fill('carrier is back');
    await dialog.getByLabel(/released per second/).fill('5');
    await dialog.getByRole('button', { name: 'Resume step' }).click();
    await dialog.waitFor({ state: 'detached' });
    await panel.getByRole('status').getByText('“create-shipment” resumed', { exact: false }).waitFor();

    for (const order of orders) {
      const done = await waitForStatus(app, order.id, ['COMPLETED'], 60_000);
      expect(done.events.find((e) => e.type === 'SAGA_PAUSED')).toMatchObject({ step: 'create-shipment', reason: 'carrier API down' });
      expect(done.events.find((e) => e.type === 'SAGA_RESUMED')).toMatchObject({ step: 'create-shipment', reason: 'carrier is back' });
      expect((await getSaga(app, order.id)).steps.find((s) => s.name === 'create-shipment')!.attempts).toBe(1);
    }
    // Once none is held, the step leaves the panel.
    await panel.getByText('No step is paused', { exact: false }).waitFor({ timeout: 30_000 });
    expect(pageErrors).toEqual([]);
  });
});
