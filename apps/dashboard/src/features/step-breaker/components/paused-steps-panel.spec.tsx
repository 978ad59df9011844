import type { StepPauseView } from '@nest-saga/contracts';
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderApp } from '../../../testing/render';

const pausedPayment = (overrides: Partial<StepPauseView> = {}): StepPauseView => ({
  step: 'process-payment',
  status: 'PAUSED',
  reason: 'provider outage',
  pausedBy: 'alice',
  pausedAt: new Date(Date.now() - 120_000).toISOString(),
  resumedBy: null,
  resumedAt: null,
  resumeReason: null,
  ratePerSec: null,
  released: 0,
  waiting: 7,
  ...overrides,
});

describe('paused steps panel', () => {
  it('shows each paused step with its reason, who paused it, since when and the sagas waiting', async () => {
    renderApp('/definitions', { pausedSteps: [pausedPayment()] });
    const panel = await screen.findByRole('region', { name: 'Paused steps' });
    const row = await within(panel).findByRole('row', { name: 'Paused step process-payment' });
    expect(within(row).getByText('PAUSED')).toBeTruthy();
    expect(within(row).getByText('provider outage')).toBeTruthy();
    expect(within(row).getByText('alice')).toBeTruthy();
    expect(within(row).getByText('2m ago', { exact: false })).toBeTruthy();
    expect(within(row).getByLabelText('7 sagas waiting')).toBeTruthy();
  });

  it('lets an operator pause a step (reason required) and resume it with a rate', async () => {
    const { user, api } = renderApp('/definitions');
    const panel = await screen.findByRole('region', { name: 'Paused steps' });
    await within(panel).findByText(/No step is paused/);
    await user.click(within(panel).getByRole('button', { name: 'Pause a step…' }));
    let dialog = screen.getByRole('dialog');
    await user.selectOptions(within(dialog).getByLabelText('Step'), 'process-payment');
    await user.click(within(dialog).getByRole('button', { name: 'Pause step' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/Give a reason/);
    expect(api.requestsTo('/api/steps/process-payment/pause', 'POST')).toHaveLength(0);
    await user.type(within(dialog).getByLabelText(/Reason/), 'provider outage');
    await user.click(within(dialog).getByRole('button', { name: 'Pause step' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.requestsTo('/api/steps/process-payment/pause', 'POST')[0]?.body).toEqual({ reason: 'provider outage' });
    expect((await within(panel).findByRole('status')).textContent).toMatch(/“process-payment” is paused/);

    const row = await within(panel).findByRole('row', { name: 'Paused step process-payment' });
    await user.click(within(row).getByRole('button', { name: 'Resume process-payment…' }));
    dialog = screen.getByRole('dialog');
    await user.type(within(dialog).getByLabelText(/Reason/), 'provider back');
    await user.type(within(dialog).getByLabelText(/released per second/), '0');
    await user.click(within(dialog).getByRole('button', { name: 'Resume step' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/A number from 0.1 to 1000/);
    await user.clear(within(dialog).getByLabelText(/released per second/));
    await user.type(within(dialog).getByLabelText(/released per second/), '2');
    await user.click(within(dialog).getByRole('button', { name: 'Resume step' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.requestsTo('/api/steps/process-payment/resume', 'POST')[0]?.body).toEqual({ reason: 'provider back', ratePerSec: 2 });
    await waitFor(() => expect(within(row).getByText('RESUMING')).toBeTruthy());
  });

  it('offers no pause or resume to a viewer', async () => {
    renderApp('/definitions', { role: 'viewer', pausedSteps: [pausedPayment()] });
    const panel = await screen.findByRole('region', { name: 'Paused steps' });
    await within(panel).findByRole('row', { name: 'Paused step process-payment' });
    expect(within(panel).queryByRole('button', { name: /Pause a step|Resume/ })).toBeNull();
  });
});
