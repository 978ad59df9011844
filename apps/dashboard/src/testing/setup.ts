import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach } from 'vitest';
import { session } from '../lib/session';

beforeEach(() => {
  sessionStorage.clear();
  session.reload();
  window.history.replaceState(null, '', '/');
});

afterEach(() => {
  cleanup();
});
