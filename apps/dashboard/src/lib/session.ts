/**
 * The admin token of this browser tab. It lives in sessionStorage (gone when the tab closes, never
 * shared with other tabs) and is read by the api client on every request.
 */
const STORAGE_KEY = 'nest-saga.admin-token';

/** Why the user is looking at the sign-in screen, shown there in words. */
export type SignOutReason = 'signed-out' | 'rejected' | 'expired';

export interface SessionSnapshot {
  token: string | null;
  /** Set when the session ended on its own (the token was refused), so sign-in can say why. */
  reason: SignOutReason | null;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let snapshot: SessionSnapshot = { token: readStoredToken(), reason: null };

function readStoredToken(): string | null {
  try {
    return globalThis.sessionStorage?.getItem(STORAGE_KEY) || null;
  } catch {
    return null;
  }
}

function publish(next: SessionSnapshot): void {
  snapshot = next;
  for (const listener of listeners) listener();
}

export const session = {
  getSnapshot(): SessionSnapshot {
    return snapshot;
  },
  getToken(): string | null {
    return snapshot.token;
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  signIn(token: string): void {
    const trimmed = token.trim();
    if (!trimmed) return;
    try {
      sessionStorage.setItem(STORAGE_KEY, trimmed);
    } catch {
      // Storage may be disabled (private mode): the token then lives for this page only.
    }
    publish({ token: trimmed, reason: null });
  },
  signOut(reason: SignOutReason = 'signed-out'): void {
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
    if (snapshot.token === null && snapshot.reason === reason) return;
    publish({ token: null, reason });
  },
  /** Re-reads sessionStorage; tests use it to start from a clean slate. */
  reload(): void {
    publish({ token: readStoredToken(), reason: null });
  },
};

/**
 * Takes `?token=` from the address the api printed, keeps it in the session and removes it from the
 * address bar (and from history) so it does not end up in bookmarks, screenshots or shared links.
 */
export function adoptTokenFromUrl(win: Window = window): boolean {
  const url = new URL(win.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return false;
  url.searchParams.delete('token');
  win.history.replaceState(win.history.state, '', `${url.pathname}${url.search}${url.hash}`);
  if (!token.trim()) return false;
  session.signIn(token);
  return true;
}
