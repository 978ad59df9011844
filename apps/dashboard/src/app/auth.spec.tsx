import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { session, adoptTokenFromUrl } from '../lib/session';
import { createFakeApi, renderApp, TEST_TOKEN } from '../testing/render';
import { makeDetail } from '../testing/fixtures';
import { App } from './app';
import { createAppRouter } from './router';
import { createTestQueryClient } from '../testing/render';

describe('signing in', () => {
  it('signs in with the token from the address the api printed, then removes it from the address bar', async () => {
    const api = createFakeApi({ sagas: [makeDetail({ status: 'FAILED' })] }).install();
    window.history.replaceState(null, '', `/sagas?status=FAILED&token=${TEST_TOKEN}`);

    // What main.tsx does before the router starts.
    adoptTokenFromUrl();
    render(<App router={createAppRouter()} queryClient={createTestQueryClient()} />);

    expect(await screen.findByRole('heading', { name: 'Sagas' })).toBeTruthy();
    expect(window.location.pathname + window.location.search).toBe('/sagas?status=FAILED');
    expect(sessionStorage.getItem('nest-saga.admin-token')).toBe(TEST_TOKEN);
    const whoami = api.requestsTo('/api/whoami');
    expect(whoami[0]?.authorization).toBe(`Bearer ${TEST_TOKEN}`);
    expect(api.requestsTo('/api/sagas')[0]?.query.getAll('status')).toEqual(['FAILED']);
  });

  it('asks for a token when there is none, and accepts a pasted one', async () => {
    const { user, api } = renderApp('/definitions', { role: null });

    expect(await screen.findByRole('heading', { name: /sign in/i })).toBeTruthy();
    expect(api.requestsTo('/api/whoami')).toHaveLength(0);

    await user.type(screen.getByLabelText('Admin token'), TEST_TOKEN);
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    // Stays on the page the link pointed to.
    expect(await screen.findByRole('heading', { name: 'Definitions' })).toBeTruthy();
    expect(session.getToken()).toBe(TEST_TOKEN);
  });

  it('says so when the API refuses the token', async () => {
    const { user } = renderApp('/', { role: null });
    await user.type(await screen.findByLabelText('Admin token'), 'wrong-token');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));

    expect((await screen.findByRole('alert')).textContent).toMatch(/not accepted/);
    expect(session.getToken()).toBeNull();
    expect(sessionStorage.getItem('nest-saga.admin-token')).toBeNull();
  });

  it('goes back to sign-in when the token stops working mid-session', async () => {
    const api = createFakeApi();
    const { user } = renderApp('/', { api });
    await screen.findByRole('heading', { name: 'Overview' });

    api.on('GET', '/api/sagas', () => ({ status: 401, body: { statusCode: 401, code: 'UNAUTHORIZED', message: 'Invalid token' } }));
    await user.click(screen.getByRole('link', { name: 'Sagas' }));

    expect((await screen.findByRole('alert')).textContent).toMatch(/session ended/);
  });

  it('shows the role and signs out', async () => {
    const { user } = renderApp('/', { role: 'viewer' });
    expect((await screen.findByText('viewer')).className).toContain('role-viewer');
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('heading', { name: /sign in/i })).toBeTruthy();
    expect(screen.getByRole('status').textContent).toMatch(/signed out/);
  });
});

describe('keyboard use', () => {
  it('moves between pages with real links', async () => {
    const { location } = renderApp('/');
    await screen.findByRole('heading', { name: 'Overview' });
    const user = userEvent.setup();
    screen.getByRole('link', { name: 'Definitions' }).focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(location().pathname).toBe('/definitions'));
  });
});
