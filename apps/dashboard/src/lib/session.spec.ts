import { describe, expect, it } from 'vitest';
import { adoptTokenFromUrl, session } from './session';

describe('session', () => {
  it('takes the token from the address, keeps it in sessionStorage and removes it from the address bar', () => {
    window.history.replaceState(null, '', '/sagas?status=FAILED&token=abc123#top');

    expect(adoptTokenFromUrl()).toBe(true);

    expect(session.getToken()).toBe('abc123');
    expect(sessionStorage.getItem('nest-saga.admin-token')).toBe('abc123');
    expect(window.location.pathname).toBe('/sagas');
    expect(window.location.search).toBe('?status=FAILED');
    expect(window.location.hash).toBe('#top');
    expect(window.location.href).not.toContain('abc123');
  });

  it('leaves the address alone when it carries no token', () => {
    window.history.replaceState(null, '', '/sagas?q=x');
    expect(adoptTokenFromUrl()).toBe(false);
    expect(window.location.search).toBe('?q=x');
    expect(session.getToken()).toBeNull();
  });

  it('forgets the token on sign-out and says why', () => {
    session.signIn('  t0k  ');
    expect(session.getToken()).toBe('t0k');
    session.signOut('expired');
    expect(session.getSnapshot()).toEqual({ token: null, reason: 'expired' });
    expect(sessionStorage.getItem('nest-saga.admin-token')).toBeNull();
  });
});
