import { SAGA_STATUSES } from '@nest-saga/contracts';
import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { createFakeApi, TEST_TOKEN } from '../../../testing/fake-api';
import { makeDetail } from '../../../testing/fixtures';
import { createWrapper } from '../../../testing/render';
import { session } from '../../../lib/session';
import { sagaPollInterval, useSaga } from './get-saga';
import { sagaKeys } from './query-keys';

describe('useSaga', () => {
  it('polls every second while the engine works, slower while it waits for an operator, never once finished', () => {
    const intervals = Object.fromEntries(SAGA_STATUSES.map((s) => [s, sagaPollInterval(s)]));
    expect(intervals).toEqual({
      PENDING: 1_000,
      RUNNING: 1_000,
      COMPENSATING: 1_000,
      PAUSED: 5_000,
      FAILED: 5_000,
      COMPLETED: false,
      COMPENSATED: false,
      CANCELLED: false,
    });
    // An operator request not yet applied: watch closely until it is.
    expect(sagaPollInterval('FAILED', true)).toBe(1_000);
  });

  it('loads the detail under its key and stops polling a saga that is gone', async () => {
    const saga = makeDetail();
    createFakeApi({ sagas: [saga] }).install();
    session.signIn(TEST_TOKEN);
    const { Wrapper, queryClient } = createWrapper();

    const { result } = renderHook(() => useSaga(saga.id), { wrapper: Wrapper });
    await waitFor(() => expect(result.current.data?.id).toBe(saga.id));
    expect(queryClient.getQueryData(sagaKeys.detail(saga.id))).toEqual(saga);

    const missing = renderHook(() => useSaga('nope'), { wrapper: Wrapper });
    await waitFor(() => expect(missing.result.current.error).toMatchObject({ status: 404, code: 'SAGA_NOT_FOUND' }));
  });
});
