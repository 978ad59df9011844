import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { makeDefinition, makeStepDefinition } from '../../testing/fixtures';
import { renderApp } from '../../testing/render';

describe('definitions', () => {
  it('lists each saga with its ordered steps, compensations, timeouts and retry policies', async () => {
    const definition = makeDefinition({
      steps: [
        makeStepDefinition('check-inventory', { hasCompensation: false, effects: 'none' }),
        makeStepDefinition('process-payment', { timeoutMs: 5_000, onFailure: 'pause' }),
      ],
    });
    renderApp('/definitions', { definitions: [definition] });

    const card = await screen.findByRole('article', { name: 'order' });
    expect(within(card).getByText(/version 1 · 2 steps · deadline 10m, then compensate/)).toBeTruthy();
    const rows = within(card).getAllByRole('row').slice(1);
    expect(within(rows[0]!).getByText('check-inventory')).toBeTruthy();
    expect(within(rows[0]!).getByText('none')).toBeTruthy();
    // A step that acts on nothing outside the process says so; the others do not.
    expect(within(rows[0]!).getByText('no outside effect')).toBeTruthy();
    expect(within(rows[1]!).queryByText('no outside effect')).toBeNull();
    expect(within(rows[1]!).getByText('yes')).toBeTruthy();
    expect(within(rows[1]!).getByText('5 s')).toBeTruthy();
    expect(within(rows[1]!).getByText('3 attempts · backoff 200 ms ×2, max 5 s · jitter 20%')).toBeTruthy();
    expect(within(rows[1]!).getByText('pause')).toBeTruthy();
    expect(within(card).getByRole('link', { name: 'View sagas' }).getAttribute('href')).toBe('/sagas?name=order');
  });

  it('lets an operator start a saga and opens it', async () => {
    const { user, api, location } = renderApp('/definitions');
    await user.click(await screen.findByRole('button', { name: 'Start a saga…' }));
    const dialog = screen.getByRole('dialog');
    const input = within(dialog).getByLabelText('Input (JSON)');

    await user.clear(input);
    await user.type(input, '{{ "orderId": ');
    await user.click(within(dialog).getByRole('button', { name: 'Start saga' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/not valid JSON/);
    expect(api.requestsTo('/api/sagas', 'POST')).toHaveLength(0);

    await user.type(input, '"o-9" }');
    await user.type(within(dialog).getByLabelText(/Idempotency key/), 'o-9');
    await user.click(within(dialog).getByRole('button', { name: 'Start saga' }));

    await waitFor(() => expect(location().pathname).toBe('/sagas/started-1'));
    expect(api.requestsTo('/api/sagas', 'POST')[0]?.body).toEqual({ name: 'order', input: { orderId: 'o-9' }, idempotencyKey: 'o-9' });
  });

  it('shows which versions still have unfinished sagas', async () => {
    const definition = { ...makeDefinition({ version: 2 }), versions: [{ version: 2, running: 1 }, { version: 1, running: 3 }] };
    renderApp('/definitions', { definitions: [definition] });
    const card = await screen.findByRole('article', { name: 'order' });
    const versions = within(card).getByRole('list', { name: 'Unfinished sagas by version' });
    expect(within(versions).getAllByRole('listitem').map((item) => item.textContent)).toEqual(['v2 (registered): 1 unfinished', 'v1: 3 unfinished']);
    expect(within(card).getByText('needs reserve-inventory', { exact: false })).toBeTruthy();
  });

  it('offers no start button to a viewer', async () => {
    renderApp('/definitions', { role: 'viewer' });
    await screen.findByRole('article', { name: 'order' });
    expect(screen.queryByRole('button', { name: 'Start a saga…' })).toBeNull();
  });
});
