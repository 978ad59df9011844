import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { apiError } from '../../testing/fake-api';
import { at, makeDetail, makeEvent, makeFailedDetail, makePlan, sagaId } from '../../testing/fixtures';
import { renderApp } from '../../testing/render';

function runningSaga() {
  const id = sagaId(501);
  return makeDetail(
    {
      id,
      status: 'RUNNING',
      currentStep: 'process-payment',
      events: [
        makeEvent({ sagaId: id, type: 'SAGA_STARTED', at: at(0), actor: 'api' }),
        makeEvent({ sagaId: id, type: 'STEP_STARTED', step: 'check-inventory', attempt: 1, at: at(10) }),
        makeEvent({ sagaId: id, type: 'STEP_SUCCEEDED', step: 'check-inventory', attempt: 1, at: at(55) }),
        makeEvent({ sagaId: id, type: 'STEP_STARTED', step: 'reserve-inventory', attempt: 1, at: at(60) }),
        makeEvent({ sagaId: id, type: 'STEP_FAILED', step: 'reserve-inventory', attempt: 1, at: at(90), error: { message: 'lock timeout', code: 'DB_LOCK' } }),
        makeEvent({ sagaId: id, type: 'STEP_RETRY_SCHEDULED', step: 'reserve-inventory', attempt: 1, at: at(91) }),
        makeEvent({ sagaId: id, type: 'STEP_STARTED', step: 'reserve-inventory', attempt: 2, at: at(300) }),
        makeEvent({ sagaId: id, type: 'STEP_SUCCEEDED', step: 'reserve-inventory', attempt: 2, at: at(420) }),
        makeEvent({ sagaId: id, type: 'STEP_STARTED', step: 'process-payment', attempt: 1, at: at(430) }),
        makeEvent({ sagaId: id, type: 'PAUSE_REQUESTED', at: at(440), actor: 'operator:alice', reason: 'checking with finance' }),
      ],
    },
    {
      'check-inventory': { status: 'COMPLETED', attempts: 1, startedAt: at(10), finishedAt: at(55), output: { available: true } },
      'reserve-inventory': { status: 'COMPLETED', attempts: 2, startedAt: at(60), finishedAt: at(420), output: { reservationId: 'res-9' } },
      'process-payment': { status: 'RUNNING', attempts: 1, startedAt: at(430) },
    },
  );
}

describe('saga detail', () => {
  it('shows the header: status, name, ids, owner, times and why it is stuck', async () => {
    const saga = { ...runningSaga(), stuckSince: at(1_000), stuckReason: 'LEASE_EXPIRED' as const };
    renderApp(`/sagas/${saga.id}`, { sagas: [saga] });

    const header = await screen.findByRole('region', { name: 'order' });
    expect(within(header).getByText('RUNNING')).toBeTruthy();
    expect(within(header).getByText(saga.id)).toBeTruthy();
    expect(within(header).getByText(saga.idempotencyKey!)).toBeTruthy();
    expect(within(header).getByText('instance-a')).toBeTruthy();
    expect(within(header).getByText('Started').nextElementSibling?.querySelector('time')?.getAttribute('datetime')).toBe(saga.createdAt);
    expect(within(header).getByRole('status').textContent).toMatch(/Stuck since .*: the instance that owned it stopped renewing its lease \(LEASE_EXPIRED\)/);
  });

  it('renders the steps timeline with statuses, attempts, durations from the events, and compensations', async () => {
    const saga = runningSaga();
    renderApp(`/sagas/${saga.id}`, { sagas: [saga] });

    const steps = await screen.findByRole('list', { name: 'Steps' });
    const items = within(steps).getAllByRole('listitem');
    expect(items.map((item) => item.getAttribute('aria-label'))).toEqual([
      'Step 1: check-inventory, COMPLETED',
      'Step 2: reserve-inventory, COMPLETED',
      'Step 3: process-payment, RUNNING',
      'Step 4: create-shipment, PENDING',
    ]);
    const reserve = items[1]!;
    expect(within(reserve).getByText(/2 attempts · took 360 ms/)).toBeTruthy();
    // Attempt 1 failed after 30 ms (from its events), attempt 2 took 120 ms.
    const attempts = within(reserve).getByRole('table', { name: 'Attempts' });
    const rows = within(attempts).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell').map((c) => c.textContent))).toEqual([
      ['run', '1', expect.any(String), '30 ms', 'failed DB_LOCK: lock timeout'],
      ['run', '2', expect.any(String), '120 ms', 'succeeded'],
    ]);
    expect(within(items[0]!).getByText(/1 attempt · took 45 ms · no compensation/)).toBeTruthy();
    expect(within(items[2]!).getByText('current')).toBeTruthy();
  });

  it('shows the input and step outputs as pretty JSON, and the event history', async () => {
    const saga = runningSaga();
    const { user, location } = renderApp(`/sagas/${saga.id}`, { sagas: [saga] });

    await user.click(await screen.findByRole('tab', { name: 'Input & output' }));
    expect(location().search).toBe('?tab=data');
    const input = screen.getByLabelText('Input', { selector: 'pre' });
    expect(input.textContent).toBe(JSON.stringify(saga.input, null, 2));
    expect(screen.getByLabelText('Output of reserve-inventory', { selector: 'pre' }).textContent).toContain('"reservationId": "res-9"');

    await user.click(screen.getByRole('tab', { name: `History (${saga.events.length})` }));
    const table = screen.getByRole('table', { name: 'Event history' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(saga.events.length);
    const failed = rows[4]!;
    expect(within(failed).getByText('STEP_FAILED')).toBeTruthy();
    expect(within(failed).getByText('reserve-inventory')).toBeTruthy();
    expect(within(failed).getByText('1')).toBeTruthy();
    expect(failed.textContent).toContain('lock timeout');
    const pause = rows[9]!;
    expect(within(pause).getByText('operator:alice')).toBeTruthy();
    expect(within(pause).getByText('checking with finance')).toBeTruthy();

    await user.selectOptions(screen.getByRole('combobox', { name: 'Step' }), 'check-inventory');
    expect(within(table).getAllByRole('row').slice(1)).toHaveLength(2);
  });

  it('renders hostile saga data as inert text', async () => {
    const xss = '<img src=x onerror=alert(1)>';
    const saga = makeDetail(
      { id: sagaId(502), name: xss, idempotencyKey: xss, input: { note: xss }, error: { message: xss } },
      { 'check-inventory': { status: 'FAILED', error: { message: xss } } },
    );
    saga.events.push(makeEvent({ sagaId: saga.id, type: 'SAGA_PAUSED', reason: xss, actor: xss }));
    const { user } = renderApp(`/sagas/${saga.id}`, { sagas: [saga] });

    expect(await screen.findByRole('heading', { level: 1, name: xss })).toBeTruthy();
    await user.click(screen.getByRole('tab', { name: 'Input & output' }));
    expect(screen.getByLabelText('Input', { selector: 'pre' }).textContent).toContain(xss);
    await user.click(screen.getByRole('tab', { name: /History/ }));
    expect(screen.getAllByText(xss).length).toBeGreaterThan(1);
    expect(document.querySelector('img')).toBeNull();
    expect(document.querySelector('[onerror]')).toBeNull();
  });

  it('offers only the actions the status allows, and none to a viewer', async () => {
    const saga = runningSaga();
    const view = renderApp(`/sagas/${saga.id}`, { sagas: [saga] });
    const actions = await screen.findByRole('group', { name: 'Actions' });
    expect(within(actions).getAllByRole('button').map((b) => b.textContent)).toEqual(['Cancel…', 'Compensate…', 'Pause…']);
    view.unmount();

    const failed = makeFailedDetail();
    renderApp(`/sagas/${failed.id}`, { sagas: [failed], role: 'viewer' });
    await screen.findByRole('heading', { level: 1, name: 'order' });
    expect(screen.queryByRole('group', { name: 'Actions' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Resolve|Retry|Cancel|Compensate|Pause|Resume/ })).toBeNull();
  });

  it('compensates after confirmation: lists the compensations in reverse order, sends the reason, reports the new status', async () => {
    const saga = runningSaga();
    const { user, api } = renderApp(`/sagas/${saga.id}`, { sagas: [saga] });

    await user.click(await screen.findByRole('button', { name: 'Compensate…' }));
    const dialog = screen.getByRole('dialog', { name: 'Compensate this saga?' });
    const plan = within(dialog).getByRole('list');
    expect(within(plan).getAllByRole('listitem').map((li) => li.textContent)).toEqual([expect.stringContaining('reserve-inventory')]);
    expect(dialog.textContent).toContain('Not undone (no compensation): check-inventory');
    // The reason box has the focus.
    expect(document.activeElement).toBe(within(dialog).getByRole('textbox'));

    await user.type(within(dialog).getByRole('textbox'), 'customer asked to cancel by phone');
    await user.click(within(dialog).getByRole('button', { name: 'Compensate' }));

    expect((await screen.findByText(/Compensation accepted/)).textContent).toBe('Compensation accepted. The saga is now COMPENSATING.');
    expect(screen.queryByRole('dialog')).toBeNull();
    const [post] = api.requestsTo(`/api/sagas/${saga.id}/compensate`, 'POST');
    expect(post?.body).toEqual({ reason: 'customer asked to cancel by phone' });
  });

  it('requires a reason to resolve a failed compensation, then sends it', async () => {
    const saga = makeFailedDetail();
    const { user, api } = renderApp(`/sagas/${saga.id}`, { sagas: [saga] });

    expect(within(await screen.findByRole('group', { name: 'Actions' })).getAllByRole('button').map((b) => b.textContent)).toEqual(['Compensate…', 'Retry…']);
    const step = screen.getByRole('listitem', { name: 'Step 2: reserve-inventory, COMPENSATION_FAILED' });
    await user.click(within(step).getByRole('button', { name: 'Resolve…' }));
    const dialog = screen.getByRole('dialog', { name: 'Mark “reserve-inventory” as compensated?' });

    await user.click(within(dialog).getByRole('button', { name: 'Mark as compensated' }));
    expect(within(dialog).getByRole('alert').textContent).toMatch(/Give a reason/);
    expect(api.requestsTo(`/api/sagas/${saga.id}/steps/reserve-inventory/resolve`)).toHaveLength(0);

    await user.type(within(dialog).getByRole('textbox'), 'released the hold in the WMS by hand');
    await user.click(within(dialog).getByRole('button', { name: 'Mark as compensated' }));

    expect((await screen.findByText(/marked as compensated/)).textContent).toBe('Step “reserve-inventory” marked as compensated. The saga is now COMPENSATED.');
    const [post] = api.requestsTo(`/api/sagas/${saga.id}/steps/reserve-inventory/resolve`, 'POST');
    expect(post?.body).toEqual({ reason: 'released the hold in the WMS by hand' });
  });

  it('retries the failed compensations of a FAILED saga, naming the ones that will run again', async () => {
    const saga = makeFailedDetail();
    const { user, api } = renderApp(`/sagas/${saga.id}`, { sagas: [saga] });

    await user.click(await screen.findByRole('button', { name: 'Retry…' }));
    const dialog = screen.getByRole('dialog', { name: 'Retry this saga?' });
    expect(dialog.textContent).toContain('The compensations that failed run again');
    expect(within(within(dialog).getByRole('list')).getAllByRole('listitem').map((li) => li.textContent)).toEqual([
      expect.stringContaining('reserve-inventory'),
    ]);
    expect(dialog.textContent).toContain('Already compensated: process-payment');

    await user.click(within(dialog).getByRole('button', { name: 'Retry' }));
    expect((await screen.findByText(/Retry accepted/)).textContent).toBe('Retry accepted. The saga is now COMPENSATING.');
    expect(api.requestsTo(`/api/sagas/${saga.id}/retry`, 'POST')[0]?.body).toEqual({});
  });

  it('tells a 409 INVALID_SAGA_TRANSITION in words and keeps the dialog open', async () => {
    const saga = runningSaga();
    const { user, api } = renderApp(`/sagas/${saga.id}`, { sagas: [saga] });
    api.on('POST', '/api/sagas/:id/cancel', () => apiError(409, 'INVALID_SAGA_TRANSITION', 'Cannot cancel saga in status COMPLETED'));

    await user.click(await screen.findByRole('button', { name: 'Cancel…' }));
    const dialog = screen.getByRole('dialog', { name: 'Cancel this saga?' });
    await user.click(within(dialog).getByRole('button', { name: 'Cancel saga' }));

    const alert = await within(dialog).findByRole('alert');
    expect(alert.textContent).toContain('The saga is no longer in a status that allows this.');
    expect(alert.textContent).toContain('Server said: Cannot cancel saga in status COMPLETED');
    expect(alert.textContent).toContain('409 INVALID_SAGA_TRANSITION');
    expect(screen.getByRole('dialog')).toBeTruthy();
  });

  it('closes the dialog with Escape and gives the focus back to the button that opened it', async () => {
    const saga = runningSaga();
    const { user } = renderApp(`/sagas/${saga.id}`, { sagas: [saga] });
    const pause = await screen.findByRole('button', { name: 'Pause…' });
    await user.click(pause);
    expect(screen.getByRole('dialog', { name: 'Pause this saga?' })).toBeTruthy();

    // Tab stays inside the dialog.
    for (let i = 0; i < 6; i++) {
      await user.tab();
      expect(screen.getByRole('dialog').contains(document.activeElement)).toBe(true);
    }
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.activeElement).toBe(pause);
  });

  it('shows the plan the saga runs, with each step\'s params and policies, and its version', async () => {
    const id = sagaId(777);
    const saga = makeDetail(
      { id, name: 'express-order', definitionVersion: 3, plan: makePlan({ name: 'express-order', version: 3, origin: 'composed' }, ['reserve-inventory', 'create-shipment'], { 'create-shipment': { carrier: 'express' } }) },
    );
    const steps = saga.steps.filter((s) => s.name === 'reserve-inventory' || s.name === 'create-shipment').map((s, index) => ({ ...s, index }));
    const { user } = renderApp(`/sagas/${id}`, { sagas: [{ ...saga, steps }] });
    const header = await screen.findByRole('region', { name: 'express-order' });
    expect(within(header).getByText('Plan').nextElementSibling?.textContent).toBe('composed at start · version 3');

    await user.click(screen.getByRole('tab', { name: 'Plan (2 steps)' }));
    const plan = screen.getByRole('table', { name: 'Plan of express-order, version 3' });
    const rows = within(plan).getAllByRole('row').slice(1);
    expect(within(rows[0]!).getByText('reserve-inventory')).toBeTruthy();
    expect(within(rows[0]!).getByText('none')).toBeTruthy();
    expect(within(rows[1]!).getByText('create-shipment')).toBeTruthy();
    expect(within(rows[1]!).getByText('{"carrier":"express"}')).toBeTruthy();
    expect(within(rows[1]!).getByText('10 s')).toBeTruthy();
  });

  it('says when there is no saga with the id', async () => {
    renderApp('/sagas/does-not-exist');
    expect(await screen.findByText('There is no saga with this id')).toBeTruthy();
  });
});
