import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { apiError } from '../../testing/fake-api';
import { renderApp } from '../../testing/render';

async function openCompose(options: Parameters<typeof renderApp>[1] = {}) {
  const rendered = renderApp('/definitions', options);
  await rendered.user.click(await screen.findByRole('button', { name: 'Compose a saga…' }));
  const dialog = screen.getByRole('dialog', { name: 'Compose a saga' });
  await within(dialog).findByRole('button', { name: 'Add process-payment' });
  return { ...rendered, dialog };
}

describe('composing a saga from the step catalog', () => {
  it('lets an operator pick registered steps in order, give params as JSON, and opens the new saga', async () => {
    const { user, api, location, dialog } = await openCompose();
    const catalog = within(dialog).getByRole('table', { name: 'Registered steps' });
    expect(within(catalog).getAllByRole('row').slice(1).map((row) => row.querySelector('td')?.textContent)).toEqual([
      'check-inventory',
      'create-shipment',
      'process-payment',
      'reserve-inventory',
    ]);
    expect(within(catalog).getByText('needs reserve-inventory')).toBeTruthy();

    await user.type(within(dialog).getByLabelText('Saga name'), 'express-order');
    await user.click(within(dialog).getByRole('button', { name: 'Add reserve-inventory' }));
    await user.click(within(dialog).getByRole('button', { name: 'Add process-payment' }));
    await user.type(within(dialog).getByLabelText('Params of process-payment (JSON)'), '{{"surcharge": 4.5}');
    await user.click(within(dialog).getByRole('button', { name: 'Add create-shipment' }));
    expect((within(dialog).getByRole('button', { name: 'Add create-shipment' }) as HTMLButtonElement).disabled).toBe(true);
    const plan = within(dialog).getByRole('list', { name: 'Plan' });
    expect(within(plan).getAllByRole('listitem').map((item) => item.getAttribute('aria-label'))).toEqual([
      'Step 1: reserve-inventory',
      'Step 2: process-payment',
      'Step 3: create-shipment',
    ]);
    const input = within(dialog).getByLabelText('Input (JSON)');
    await user.clear(input);
    await user.type(input, '{{"orderId": "o-1"}');
    await user.type(within(dialog).getByLabelText(/Idempotency key/), 'x-1');
    await user.click(within(dialog).getByRole('button', { name: 'Start saga' }));

    await waitFor(() => expect(location().pathname).toBe('/sagas/started-1'));
    expect(api.requestsTo('/api/sagas', 'POST')[0]?.body).toEqual({
      name: 'express-order',
      steps: [{ step: 'reserve-inventory' }, { step: 'process-payment', params: { surcharge: 4.5 } }, { step: 'create-shipment' }],
      input: { orderId: 'o-1' },
      idempotencyKey: 'x-1',
    });
  });

  it('shows a step whose requirement is missing before anything is sent, and clears it once the order is right', async () => {
    const { user, api, dialog } = await openCompose();
    await user.type(within(dialog).getByLabelText('Saga name'), 'ship');
    await user.click(within(dialog).getByRole('button', { name: 'Add create-shipment' }));
    const problems = within(dialog).getByRole('alert');
    expect(problems.textContent).toContain('Step "create-shipment" (steps[0]) of saga "ship" reads the output of "reserve-inventory", which is not earlier in the plan. Put "reserve-inventory" before "create-shipment".');

    await user.click(within(dialog).getByRole('button', { name: 'Start saga' }));
    expect(api.requestsTo('/api/sagas', 'POST')).toHaveLength(0);

    await user.click(within(dialog).getByRole('button', { name: 'Add reserve-inventory' }));
    await user.click(within(dialog).getByRole('button', { name: 'Move reserve-inventory up' }));
    expect(within(dialog).queryByRole('alert')).toBeNull();
    await user.click(within(dialog).getByRole('button', { name: 'Remove create-shipment' }));
    expect(within(within(dialog).getByRole('list', { name: 'Plan' })).getAllByRole('listitem')).toHaveLength(1);
  });

  it('shows params that are not a JSON object at their step, and an empty name or plan on submit', async () => {
    const { user, api, dialog } = await openCompose();
    await user.click(within(dialog).getByRole('button', { name: 'Start saga' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/needs a name.*has no steps/);

    await user.click(within(dialog).getByRole('button', { name: 'Add process-payment' }));
    await user.type(within(dialog).getByLabelText('Params of process-payment (JSON)'), '[[1]');
    expect(within(dialog).getByRole('alert').textContent).toContain('process-payment: Params must be a JSON object');
    expect(within(dialog).getByLabelText('Params of process-payment (JSON)').getAttribute('aria-invalid')).toBe('true');
    expect(api.requestsTo('/api/sagas', 'POST')).toHaveLength(0);
  });

  it("tells what the server refused, with the field, and keeps the dialog open", async () => {
    const { user, api, dialog } = await openCompose();
    api.on('POST', '/api/sagas', () => apiError(404, 'PLAN_STEP_NOT_REGISTERED', 'Saga "refund" lists step "process-payment" (steps[0]), which is not registered in this app.', 'steps[0].step'));
    await user.type(within(dialog).getByLabelText('Saga name'), 'refund');
    await user.click(within(dialog).getByRole('button', { name: 'Add process-payment' }));
    await user.click(within(dialog).getByRole('button', { name: 'Start saga' }));
    const alert = await within(dialog).findByText(/which is not registered in this app/);
    expect(alert.textContent).toContain('(field: steps[0].step)');
    expect(screen.getByRole('dialog', { name: 'Compose a saga' })).toBeTruthy();
  });

  it('offers no composing to a viewer', async () => {
    renderApp('/definitions', { role: 'viewer' });
    await screen.findByRole('article', { name: 'order' });
    expect(screen.queryByRole('button', { name: 'Compose a saga…' })).toBeNull();
  });
});
