/**
 * Composing a saga at run time in real Chromium, against the real api and engine: the operator picks
 * the demo's registered steps in order, gives params as JSON, sees a requirement error before
 * submitting, starts it, and watches the saga complete by the plan it stored.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, type TestApp } from '../../api/test/support/test-app.js';
import { getSaga, launchBrowser, openPage, orderInput, screenshotDir, waitForStatus } from './support/harness.js';

describe('composing a saga in Chromium', () => {
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

  it('builds a saga from the step catalog with params, shows a requirement error before submit, and the saga completes by its plan', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Definitions' }).click();
    await page.getByRole('button', { name: 'Compose a saga…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Compose a saga' });
    await dialog.getByRole('table', { name: 'Registered steps' }).getByText('needs reserve-inventory').waitFor();

    await dialog.getByLabel('Saga name').fill('express-order');
    // Shipping first: it needs the stock reservation, so the form says so before anything is sent.
    await dialog.getByRole('button', { name: 'Add create-shipment' }).click();
    await dialog.getByRole('alert').getByText('Put "reserve-inventory" before "create-shipment"', { exact: false }).waitFor();
    await dialog.getByRole('button', { name: 'Remove create-shipment' }).click();
    await dialog.getByRole('alert').waitFor({ state: 'detached' });

    for (const step of ['check-inventory', 'reserve-inventory', 'process-payment', 'create-shipment']) {
      await dialog.getByRole('button', { name: `Add ${step}` }).click();
    }
    await dialog.getByLabel('Params of process-payment (JSON)').fill('{"surcharge": 4.5}');
    await dialog.getByLabel('Params of create-shipment (JSON)').fill('{"carrier": "express"}');
    await dialog.getByLabel('Input (JSON)').fill(JSON.stringify(orderInput('exp-1'), null, 2));
    await dialog.getByLabel(/Idempotency key/).fill('exp-1');
    await page.screenshot({ path: join(screenshotDir(), 'compose-dialog.png') });
    await dialog.getByRole('button', { name: 'Start saga' }).click();

    await page.waitForURL(new RegExp(`^${app.baseUrl}/sagas/[0-9a-f-]{36}$`));
    const id = page.url().split('/').pop()!;
    await page.locator('.saga-title .status-badge', { hasText: /^COMPLETED$/ }).waitFor();
    await page.getByRole('listitem', { name: 'Step 4: create-shipment, COMPLETED' }).waitFor();
    await page.getByText('composed at start · version 1').waitFor();

    await page.getByRole('tab', { name: /^Plan/ }).click();
    const plan = page.getByRole('table', { name: 'Plan of express-order, version 1' });
    await plan.getByText('{"surcharge":4.5}').waitFor();
    await plan.getByText('{"carrier":"express"}').waitFor();
    await page.screenshot({ path: join(screenshotDir(), 'saga-plan.png') });

    const saga = await waitForStatus(app, id, ['COMPLETED']);
    expect(saga).toMatchObject({ name: 'express-order', idempotencyKey: 'exp-1', definitionVersion: 1 });
    expect(saga.plan!.steps.map((s) => [s.step, s.params])).toEqual([
      ['check-inventory', {}],
      ['reserve-inventory', {}],
      ['process-payment', { surcharge: 4.5 }],
      ['create-shipment', { carrier: 'express' }],
    ]);
    expect((await getSaga(app, id)).steps.find((s) => s.name === 'process-payment')!.output).toMatchObject({ amount: 29.5 });
    expect(pageErrors).toEqual([]);
  });
});
