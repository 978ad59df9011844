import { NavLink, Outlet, useLocation } from 'react-router';
import { useEffect, useRef } from 'react';
import { AuthGate } from '../features/auth/components/auth-gate';
import { useRole } from '../features/auth/session-context';
import { session } from '../lib/session';

function Shell() {
  const role = useRole();
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    // On page change, move focus to the content so keyboard and screen-reader users start there.
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: true });
  }, [location.pathname]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <NavLink to="/" className="brand" end>
            <span className="brand-mark" aria-hidden="true" />
            <span>Nest Saga</span>
          </NavLink>
          <nav aria-label="Main" className="nav">
            <NavLink to="/" end>
              Overview
            </NavLink>
            <NavLink to="/sagas">Sagas</NavLink>
            <NavLink to="/definitions">Definitions</NavLink>
          </nav>
          <div className="topbar-end">
            <span className={`role-pill role-${role}`} title={role === 'viewer' ? 'Read-only: actions are hidden' : 'May act on sagas'}>
              {role}
            </span>
            <button type="button" className="btn btn-ghost btn-sm" onClick={() => session.signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="content">
        <Outlet />
      </main>
    </div>
  );
}

export function RootLayout() {
  return (
    <AuthGate>
      <Shell />
    </AuthGate>
  );
}
