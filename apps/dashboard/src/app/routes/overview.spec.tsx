import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { makeStats } from '../../testing/fixtures';
import { renderApp } from '../../testing/render';

describe('overview', () => {
  it('shows counts by status and by saga name, the stuck count, with links into filtered lists', async () => {
    const stats = makeStats({
      total: 17,
      stuck: 2,
      byStatus: { PENDING: 0, RUNNING: 3, PAUSED: 1, COMPENSATING: 0, COMPLETED: 10, COMPENSATED: 1, CANCELLED: 0, FAILED: 2 },
      byName: { order: { RUNNING: 3, COMPLETED: 9, FAILED: 2, PAUSED: 1, COMPENSATED: 1 }, refund: { COMPLETED: 1 } },
    });
    const { user, location } = renderApp('/', { stats });

    const failed = await screen.findByRole('link', { name: /^Failed 2/ });
    expect(failed.getAttribute('href')).toBe('/sagas?status=FAILED');
    expect(screen.getByRole('link', { name: /^Stuck 2/ }).getAttribute('href')).toBe('/sagas?stuck=true');
    expect(screen.getByRole('link', { name: /^Paused 1/ }).getAttribute('href')).toBe('/sagas?status=PAUSED');

    const byStatus = screen.getByRole('list', { name: 'Sagas by status' });
    expect(within(byStatus).getAllByRole('link')).toHaveLength(8);
    expect(within(byStatus).getByRole('link', { name: 'COMPLETED: 10' }).getAttribute('href')).toBe('/sagas?status=COMPLETED');

    const byName = screen.getByRole('table', { name: 'Sagas by name and status' });
    const order = within(byName).getByRole('row', { name: /^order 16/ });
    expect(within(order).getByRole('link', { name: 'order FAILED: 2' }).getAttribute('href')).toBe('/sagas?status=FAILED&name=order');
    expect(within(byName).getByRole('link', { name: 'refund' }).getAttribute('href')).toBe('/sagas?name=refund');

    await user.click(failed);
    expect(location().pathname + location().search).toBe('/sagas?status=FAILED');
  });

  it('has an empty and an error state', async () => {
    const view = renderApp('/');
    expect(await screen.findByText('No sagas have run yet')).toBeTruthy();
    view.unmount();

    const failing = renderApp('/', {});
    failing.api.on('GET', '/api/stats', () => ({ status: 500, body: { statusCode: 500, code: 'INTERNAL_ERROR', message: 'boom' } }));
    await failing.queryClient.resetQueries();
    expect((await screen.findByRole('alert')).textContent).toContain('The server failed to handle this request.');
  });
});
