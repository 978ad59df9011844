import { screen, waitFor, within } from '@testing-library/react';
import type { BulkActionView } from '@nest-saga/contracts';
import { describe, expect, it } from 'vitest';
import { makeDetail, makeFailedDetail, sagaId } from '../../testing/fixtures';
import { renderApp } from '../../testing/render';

const running = (n: number, key: string) =>
  makeDetail({ id: sagaId(n), status: 'RUNNING', idempotencyKey: key }, { 'check-inventory': { status: 'COMPLETED' }, 'reserve-inventory': { status: 'COMPLETED' }, 'process-payment': { status: 'RUNNING' } });

function bulkView(overrides: Partial<BulkActionView> = {}): BulkActionView {
  return {
    id: '00000000-0000-4000-9000-000000000077',
    action: 'cancel',
    status: 'RUNNING',
    total: 10,
    done: 4,
    succeeded: 3,
    failed: 1,
    failures: [{ sagaId: sagaId(9), code: 'INVALID_SAGA_TRANSITION', message: 'Cannot cancel saga in status COMPLETED' }],
    filter: { status: ['RUNNING'] },
    reason: 'provider outage',
    actor: 'operator',
    ratePerSec: 50,
    ownerId: 'instance-a',
    createdAt: '2026-01-15T10:00:00.000Z',
    updatedAt: '2026-01-15T10:00:01.000Z',
    finishedAt: null,
    ...overrides,
  };
}

describe('bulk actions on the sagas list', () => {
  it('acts on the ticked rows: dry run first, a required reason, then the progress linked by ?bulk=<id>', async () => {
    const a = running(301, 'key-a');
    const b = running(302, 'key-b');
    const c = running(303, 'key-c');
    const { user, api, location } = renderApp('/sagas', { sagas: [a, b, c] });
    await screen.findByText('key-a');
    const toolbar = screen.getByRole('toolbar', { name: 'Bulk actions' });
    expect(within(toolbar).queryByRole('button', { name: 'Cancel…' })).toBeNull();

    await user.click(screen.getByRole('checkbox', { name: `Select saga ${a.id}` }));
    await user.click(screen.getByRole('checkbox', { name: `Select saga ${c.id}` }));
    expect(within(toolbar).getByText('2 sagas selected.')).toBeTruthy();
    // RUNNING sagas can be cancelled, compensated or paused; not retried or resumed.
    expect(within(toolbar).queryByRole('button', { name: 'Retry…' })).toBeNull();
    await user.click(within(toolbar).getByRole('button', { name: 'Cancel…' }));

    const dialog = await screen.findByRole('dialog', { name: 'Cancel sagas in bulk' });
    const dryRun = await within(dialog).findByRole('region', { name: 'Dry run' });
    expect(within(dryRun).getByRole('status').textContent).toBe('2 sagas will be cancelled.');
    expect(within(dryRun).getByRole('list', { name: 'Sagas to act on, by status' }).textContent).toContain('RUNNING');
    const steps = within(dryRun).getByRole('list', { name: 'Compensations of order, in the order they run' });
    expect(within(steps).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['process-payment on 2 sagas', 'reserve-inventory on 2 sagas']);
    expect(within(dryRun).getByText(/Not undone \(no compensation\): check-inventory \(2\)/)).toBeTruthy();
    expect(within(dryRun).getByRole('table', { name: 'Sample of the sagas to act on' })).toBeTruthy();
    const dry = api.requestsTo('/api/bulk-actions', 'POST').at(-1)!;
    expect(dry.body).toMatchObject({ action: 'cancel', filter: { ids: [a.id, c.id] }, dryRun: true });

    // The reason is required.
    await user.click(within(dialog).getByRole('button', { name: 'Cancel 2 sagas' }));
    expect((await within(dialog).findByRole('alert')).textContent).toMatch(/Give a reason/);
    expect(api.requestsTo('/api/bulk-actions', 'POST')).toHaveLength(1);

    await user.type(within(dialog).getByLabelText(/Reason/), 'payment provider outage');
    await user.click(within(dialog).getByRole('button', { name: 'Cancel 2 sagas' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const sent = api.requestsTo('/api/bulk-actions', 'POST').at(-1)!;
    expect(sent.body).toEqual({ action: 'cancel', filter: { ids: [a.id, c.id] }, reason: 'payment provider outage', dryRun: false });

    const id = api.state.bulkActions[0]!.id;
    await waitFor(() => expect(new URLSearchParams(location().search).get('bulk')).toBe(id));
    const progress = await screen.findByRole('region', { name: 'Bulk action' });
    await within(progress).findByText('DONE');
    expect(within(progress).getByText('2 of 2 sagas done (100%)')).toBeTruthy();
    expect(within(progress).getByText('payment provider outage')).toBeTruthy();
    expect(api.state.sagas.map((s) => s.status)).toEqual(['COMPENSATING', 'RUNNING', 'COMPENSATING']);
    // The selection is gone once the action started.
    expect((screen.getByRole('checkbox', { name: `Select saga ${a.id}` }) as HTMLInputElement).checked).toBe(false);
  });

  it('selects every saga matching the filters, across pages, and sends the filters instead of ids', async () => {
    const failed = Array.from({ length: 30 }, (_, i) => makeFailedDetail({ id: sagaId(400 + i), idempotencyKey: `f-${i}` }));
    const { user, api } = renderApp('/sagas?status=FAILED&name=order&limit=25', { sagas: [...failed, running(500, 'other')] });
    await screen.findByText('f-0');
    const toolbar = screen.getByRole('toolbar', { name: 'Bulk actions' });
    await user.click(within(toolbar).getByRole('button', { name: 'Select all matching this filter' }));
    await within(toolbar).findByText('All 30 sagas matching status FAILED · saga order are selected, on every page.');
    expect((screen.getByRole('checkbox', { name: `Select saga ${failed[0]!.id}` }) as HTMLInputElement).checked).toBe(true);

    await user.click(within(toolbar).getByRole('button', { name: 'Retry…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Retry sagas in bulk' });
    expect(within(dialog).getByText('Every saga matching status FAILED · saga order, on every page.')).toBeTruthy();
    const dryRun = await within(dialog).findByRole('region', { name: 'Dry run' });
    expect(within(dryRun).getByRole('status').textContent).toBe('30 sagas will be retried.');
    expect(within(dryRun).getByText('A sample: the newest 20')).toBeTruthy();
    expect(api.requestsTo('/api/bulk-actions', 'POST').at(-1)!.body).toMatchObject({ action: 'retry', filter: { status: ['FAILED'], name: 'order' }, dryRun: true });

    await user.type(within(dialog).getByLabelText(/Reason/), 'warehouse back online');
    // A rate the API would refuse is caught before sending.
    await user.type(within(dialog).getByLabelText(/Rate/), '0');
    const sentBefore = api.requestsTo('/api/bulk-actions', 'POST').length;
    await user.click(within(dialog).getByRole('button', { name: 'Retry 30 sagas' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe('The rate is a number of sagas per second from 0.1 to 1000.');
    expect(api.requestsTo('/api/bulk-actions', 'POST')).toHaveLength(sentBefore);
    await user.clear(within(dialog).getByLabelText(/Rate/));
    await user.type(within(dialog).getByLabelText(/Rate/), '5');
    await user.click(within(dialog).getByRole('button', { name: 'Retry 30 sagas' }));
    await waitFor(() => expect(api.state.bulkActions).toHaveLength(1));
    expect(api.state.bulkActions[0]).toMatchObject({ action: 'retry', filter: { status: ['FAILED'], name: 'order' }, total: 30 });
    expect(api.requestsTo('/api/bulk-actions', 'POST').at(-1)!.body).toEqual({
      action: 'retry',
      filter: { status: ['FAILED'], name: 'order' },
      reason: 'warehouse back online',
      ratePerSec: 5,
      dryRun: false,
    });
  });

  it('says so when nothing can be acted on, and keeps confirm disabled', async () => {
    const { user } = renderApp('/sagas', { sagas: [makeDetail({ id: sagaId(601), status: 'COMPLETED', idempotencyKey: 'done-1' })] });
    await user.click(await screen.findByRole('checkbox', { name: `Select saga ${sagaId(601)}` }));
    await user.click(screen.getByRole('button', { name: 'Compensate…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Compensate sagas in bulk' });
    await within(dialog).findByRole('region', { name: 'Dry run' });
    // Compensating a COMPLETED saga is allowed: one saga.
    expect((within(dialog).getByRole('button', { name: 'Compensate 1 saga' }) as HTMLButtonElement).disabled).toBe(false);
    await user.click(within(dialog).getByRole('button', { name: 'Keep as is' }));

    await user.click(screen.getByRole('button', { name: 'Select all matching this filter' }));
    await user.click(screen.getByRole('button', { name: 'Resume…' }));
    const resume = await screen.findByRole('dialog', { name: 'Resume sagas in bulk' });
    expect((await within(resume).findByRole('region', { name: 'Dry run' })).textContent).toContain('0 sagas will be resumed (of 1 matching)');
    expect(within(resume).getByText('No saga here can be resumed now: nothing to do.')).toBeTruthy();
    expect((within(resume).getByRole('button', { name: 'Resume 0 sagas' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows a running action from its link with counts and failures, polls it, and cancels it', async () => {
    const view = bulkView();
    const { user, api } = renderApp(`/sagas?bulk=${view.id}`, { sagas: [running(701, 'x')] });
    let current = view;
    api.on('GET', '/api/bulk-actions/:id', () => ({ status: 200, body: current }));
    api.on('POST', '/api/bulk-actions/:id/cancel', () => {
      current = { ...current, status: 'CANCELLED', done: 5, succeeded: 4, finishedAt: '2026-01-15T10:00:05.000Z', ownerId: null };
      return { status: 202, body: current };
    });

    const progress = await screen.findByRole('region', { name: 'Bulk action' });
    await within(progress).findByText('RUNNING');
    expect(within(progress).getByText('4 of 10 sagas done (40%)')).toBeTruthy();
    const counts = within(progress).getByLabelText('Counts');
    expect(counts.textContent).toContain('Succeeded3');
    expect(counts.textContent).toContain('Failed1');
    expect(counts.textContent).toContain('To go6');
    const failures = within(progress).getByRole('table', { name: 'Sagas the bulk action could not act on' });
    expect(within(failures).getByText('INVALID_SAGA_TRANSITION')).toBeTruthy();
    expect(within(failures).getByRole('link', { name: `Saga ${sagaId(9)}` }).getAttribute('href')).toBe(`/sagas/${sagaId(9)}`);

    // Polled while it runs.
    current = { ...current, done: 5, succeeded: 4 };
    await within(progress).findByText('5 of 10 sagas done (50%)', undefined, { timeout: 4_000 });

    await user.click(within(progress).getByRole('button', { name: 'Cancel bulk action' }));
    await within(progress).findByText('CANCELLED');
    expect(within(progress).getByText('Cancelled: the 5 sagas not reached were left as they were.')).toBeTruthy();
    expect(within(progress).queryByRole('button', { name: 'Cancel bulk action' })).toBeNull();
    expect(api.requestsTo(`/api/bulk-actions/${view.id}/cancel`, 'POST')).toHaveLength(1);
  });

  it('keeps ?bulk= while filtering, and Dismiss removes it', async () => {
    const view = bulkView({ status: 'DONE', done: 10, succeeded: 10, failed: 0, failures: [], finishedAt: '2026-01-15T10:00:05.000Z' });
    const { user, api, location } = renderApp(`/sagas?bulk=${view.id}`);
    api.on('GET', '/api/bulk-actions/:id', () => ({ status: 200, body: view }));
    const progress = await screen.findByRole('region', { name: 'Bulk action' });
    await within(progress).findByText('DONE');
    await user.click(screen.getByRole('button', { name: 'FAILED' }));
    await waitFor(() => expect(location().search).toBe(`?status=FAILED&bulk=${view.id}`));
    await user.click(within(screen.getByRole('region', { name: 'Bulk action' })).getByRole('button', { name: 'Dismiss' }));
    await waitFor(() => expect(location().search).toBe('?status=FAILED'));
    expect(screen.queryByRole('region', { name: 'Bulk action' })).toBeNull();
  });

  it('offers the actions the ticked sagas allow now, following the list as it refreshes', async () => {
    const saga = running(951, 'moving');
    const { user, api } = renderApp('/sagas', { sagas: [saga] });
    await user.click(await screen.findByRole('checkbox', { name: `Select saga ${saga.id}` }));
    const toolbar = screen.getByRole('toolbar', { name: 'Bulk actions' });
    expect(within(toolbar).getByRole('button', { name: 'Pause…' })).toBeTruthy();
    expect(within(toolbar).queryByRole('button', { name: 'Resume…' })).toBeNull();

    // Someone paused it meanwhile.
    api.state.sagas = api.state.sagas.map((s) => ({ ...s, status: 'PAUSED' as const }));
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    await within(toolbar).findByRole('button', { name: 'Resume…' });
    expect(within(toolbar).queryByRole('button', { name: 'Pause…' })).toBeNull();
    expect((screen.getByRole('checkbox', { name: `Select saga ${saga.id}` }) as HTMLInputElement).checked).toBe(true);
  });

  it('lists the recent bulk actions when asked, and opens one', async () => {
    const { user, api, location } = renderApp('/sagas', { sagas: [running(901, 'r-1')] });
    api.state.bulkActions.push(bulkView({ reason: 'earlier outage' }));
    await screen.findByText('r-1');
    expect(api.requestsTo('/api/bulk-actions', 'GET')).toHaveLength(0);
    await user.click(screen.getByText('Recent bulk actions'));
    const table = await screen.findByRole('table', { name: 'Recent bulk actions, newest first' });
    const row = within(table).getAllByRole('row')[1]!;
    expect(row.textContent).toContain('cancel');
    expect(row.textContent).toContain('4 / 10');
    expect(row.textContent).toContain('earlier outage');
    await user.click(within(row).getByRole('button', { name: /^Show bulk cancel/ }));
    await waitFor(() => expect(new URLSearchParams(location().search).get('bulk')).toBe(bulkView().id));
    await within(await screen.findByRole('region', { name: 'Bulk action' })).findByText('4 of 10 sagas done (40%)');
  });

  it('says when the linked bulk action does not exist', async () => {
    renderApp('/sagas?bulk=00000000-0000-4000-9000-000000000404');
    const progress = await screen.findByRole('region', { name: 'Bulk action' });
    expect((await within(progress).findByRole('alert')).textContent).toMatch(/No such bulk action/);
  });

  it('shows viewers no selection boxes and no bulk controls, but still the progress, without its cancel button', async () => {
    const view = bulkView();
    const { api } = renderApp(`/sagas?bulk=${view.id}`, { role: 'viewer', sagas: [running(801, 'v-1')] });
    api.on('GET', '/api/bulk-actions/:id', () => ({ status: 200, body: view }));
    await screen.findByText('v-1');
    expect(screen.queryByRole('toolbar', { name: 'Bulk actions' })).toBeNull();
    expect(screen.queryAllByRole('checkbox').filter((c) => c.getAttribute('aria-label')?.startsWith('Select'))).toEqual([]);
    const progress = await screen.findByRole('region', { name: 'Bulk action' });
    await within(progress).findByText('RUNNING');
    expect(within(progress).queryByRole('button', { name: 'Cancel bulk action' })).toBeNull();
  });
});
