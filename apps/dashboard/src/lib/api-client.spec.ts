import { describe, expect, it, vi } from 'vitest';
import { api, ApiError, buildUrl } from './api-client';
import { describeError } from './errors';
import { session } from './session';

function stubFetch(response: Response | Error) {
  const fetch = vi.fn(async () => {
    if (response instanceof Error) throw response;
    return response;
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

describe('api client', () => {
  it('sends the bearer token and repeats array query parameters', async () => {
    session.signIn('secret');
    const fetch = stubFetch(new Response(JSON.stringify({ items: [], nextCursor: null }), { status: 200 }));

    await api.get('/sagas', { status: ['FAILED', 'PAUSED'], name: 'order', stuck: 'true', q: undefined, cursor: null });

    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/sagas?status=FAILED&status=PAUSED&name=order&stuck=true');
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer secret');
  });

  it('turns an error body into an ApiError with its status and code', async () => {
    stubFetch(
      new Response(JSON.stringify({ statusCode: 409, code: 'INVALID_SAGA_TRANSITION', message: 'Cannot cancel a COMPLETED saga' }), { status: 409 }),
    );

    const error = await api.post('/sagas/1/cancel').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'INVALID_SAGA_TRANSITION', message: 'Cannot cancel a COMPLETED saga' });
    expect(describeError(error).summary).toMatch(/no longer in a status that allows this/);
    expect(describeError(error).reference).toBe('409 INVALID_SAGA_TRANSITION');
  });

  it('reports an unreachable server as a network error, not a crash', async () => {
    stubFetch(new TypeError('Failed to fetch'));
    await expect(api.get('/stats')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });

  it('copes with an error that is not JSON', async () => {
    stubFetch(new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(api.get('/stats')).rejects.toMatchObject({ status: 502, code: 'HTTP_502' });
  });

  it('builds URLs under /api', () => {
    expect(buildUrl('/sagas/a%2Fb')).toBe('/api/sagas/a%2Fb');
  });
});
