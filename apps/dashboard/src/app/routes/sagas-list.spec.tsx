import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { makeDetail, sagaId } from '../../testing/fixtures';
import { renderApp } from '../../testing/render';

const search = (loc: { search: string }) => new URLSearchParams(loc.search);

describe('sagas list', () => {
  it('shows status, name, id, idempotency key, current step, age and last update of each saga', async () => {
    const saga = makeDetail({ id: sagaId(101), status: 'PAUSED', idempotencyKey: 'order-77', currentStep: 'process-payment', stuckSince: '2026-01-15T10:05:00.000Z', stuckReason: 'PAUSED_TOO_LONG' });
    renderApp('/sagas', { sagas: [saga] });

    const table = await screen.findByRole('table', { name: /sagas/i });
    const headers = within(table).getAllByRole('columnheader').map((h) => h.textContent);
    // An operator's first column holds the bulk-selection boxes.
    expect(headers).toEqual(['', 'Status', 'Name', 'Id', 'Idempotency key', 'Current step', 'Age', 'Last update']);
    expect(within(table).getByRole('checkbox', { name: 'Select every saga on this page' })).toBeTruthy();
    const row = within(table).getAllByRole('row')[1]!;
    expect(within(row).getByText('PAUSED')).toBeTruthy();
    expect(within(row).getByText('stuck')).toBeTruthy();
    expect(within(row).getByText('order')).toBeTruthy();
    expect(within(row).getByText('order-77')).toBeTruthy();
    expect(within(row).getByText('process-payment')).toBeTruthy();
    expect(within(row).getByRole('link', { name: `Saga ${saga.id}` }).getAttribute('href')).toBe(`/sagas/${saga.id}`);
  });

  it('reads every filter back from the URL and sends it to the API', async () => {
    const { api } = renderApp('/sagas?status=FAILED&status=PAUSED&name=order&stuck=true&q=order-1&limit=25');

    await screen.findByText('No sagas match these filters');
    const request = api.requestsTo('/api/sagas').at(-1)!;
    expect(request.query.getAll('status')).toEqual(['PAUSED', 'FAILED']);
    expect(request.query.get('name')).toBe('order');
    expect(request.query.get('stuck')).toBe('true');
    expect(request.query.get('q')).toBe('order-1');
    expect(request.query.get('limit')).toBe('25');

    expect(screen.getByRole('button', { name: 'FAILED' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('button', { name: 'PAUSED' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByRole('button', { name: 'RUNNING' }).getAttribute('aria-pressed')).toBe('false');
    expect((screen.getByRole('combobox', { name: 'Saga' }) as HTMLSelectElement).value).toBe('order');
    expect((screen.getByRole('checkbox', { name: 'Stuck only' }) as HTMLInputElement).checked).toBe(true);
    expect((screen.getByRole('searchbox') as HTMLInputElement).value).toBe('order-1');
  });

  it('writes each filter to the URL, so a link reproduces the view', async () => {
    const failed = makeDetail({ status: 'FAILED', idempotencyKey: 'key-failed' });
    const running = makeDetail({ status: 'RUNNING', idempotencyKey: 'key-running' });
    const { user, location, api } = renderApp('/sagas', { sagas: [failed, running] });
    await screen.findByText('key-running');

    await user.click(screen.getByRole('button', { name: 'FAILED' }));
    await waitFor(() => expect(search(location()).getAll('status')).toEqual(['FAILED']));
    await waitFor(() => expect(screen.queryByText('key-running')).toBeNull());
    expect(screen.getByText('key-failed')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'COMPENSATING' }));
    await waitFor(() => expect(search(location()).getAll('status')).toEqual(['COMPENSATING', 'FAILED']));

    await user.selectOptions(screen.getByRole('combobox', { name: 'Saga' }), 'order');
    await user.click(screen.getByRole('checkbox', { name: 'Stuck only' }));
    await user.type(screen.getByRole('searchbox'), 'key-failed{Enter}');

    await waitFor(() => expect(location().search).toBe('?status=COMPENSATING&status=FAILED&name=order&stuck=true&q=key-failed'));
    const last = api.requestsTo('/api/sagas').at(-1)!;
    expect(last.query.get('q')).toBe('key-failed');
    expect(last.query.get('stuck')).toBe('true');

    await user.click(screen.getAllByRole('button', { name: 'Clear filters' })[0]!);
    await waitFor(() => expect(location().search).toBe(''));
  });

  it('pages forward with the cursor and back with a stack of previous cursors', async () => {
    const sagas = Array.from({ length: 60 }, (_, i) => makeDetail({ id: sagaId(1000 + i), idempotencyKey: `key-${i}` }));
    const { user, location, api } = renderApp('/sagas?limit=25', { sagas });
    await screen.findByText('key-0');
    expect(screen.getByText('Page 1')).toBeTruthy();
    expect((screen.getByRole('button', { name: '← Previous' }) as HTMLButtonElement).disabled).toBe(true);

    await user.click(screen.getByRole('button', { name: 'Next →' }));
    await screen.findByText('key-25');
    expect(search(location()).get('cursor')).toBe(sagas[24]!.id);
    expect(api.requestsTo('/api/sagas').at(-1)!.query.get('cursor')).toBe(sagas[24]!.id);
    expect(screen.getByText('Page 2')).toBeTruthy();

    await user.click(screen.getByRole('button', { name: 'Next →' }));
    await screen.findByText('key-50');
    expect(search(location()).get('cursor')).toBe(sagas[49]!.id);
    expect(screen.getByText('Page 3')).toBeTruthy();
    // 60 sagas: the third page is the last.
    await waitFor(() => expect((screen.getByRole('button', { name: 'Next →' }) as HTMLButtonElement).disabled).toBe(true));

    await user.click(screen.getByRole('button', { name: '← Previous' }));
    await screen.findByText('key-25');
    expect(search(location()).get('cursor')).toBe(sagas[24]!.id);

    await user.click(screen.getByRole('button', { name: '← Previous' }));
    await screen.findByText('key-0');
    expect(search(location()).get('cursor')).toBeNull();
    expect(search(location()).get('limit')).toBe('25');
  });

  it('starts again from the newest page when a filter changes', async () => {
    const sagas = Array.from({ length: 30 }, (_, i) => makeDetail({ id: sagaId(2000 + i), idempotencyKey: `k-${i}` }));
    const { user, location } = renderApp('/sagas?limit=25', { sagas });
    await user.click(await screen.findByRole('button', { name: 'Next →' }));
    await screen.findByText('k-25');
    await user.click(screen.getByRole('button', { name: 'RUNNING' }));
    await waitFor(() => expect(search(location()).get('cursor')).toBeNull());
    expect(await screen.findByText('k-0')).toBeTruthy();
  });

  it('has an empty state and an error state', async () => {
    const { api, user } = renderApp('/sagas');
    expect(await screen.findByText('No sagas yet')).toBeTruthy();

    api.on('GET', '/api/sagas', () => ({ status: 503, body: { statusCode: 503, code: 'DATABASE_UNAVAILABLE', message: 'database is down' } }));
    await user.click(screen.getByRole('button', { name: 'Refresh' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/database is unavailable/i);
    expect(alert.textContent).toContain('503 DATABASE_UNAVAILABLE');
  });
});
