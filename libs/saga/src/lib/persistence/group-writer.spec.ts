import { describe, expect, it } from 'vitest';
import { GroupWriter } from './group-writer.js';

/** A writer whose batches can be held open, so that items queue up behind them. */
function gatedWriter(refuse: (item: string) => Error | null, options: { retryAlone?: (e: unknown) => boolean } = {}) {
  const batches: string[][] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const writer = new GroupWriter<string, string>(
    async (batch) => {
      batches.push(batch);
      if (batches.length === 1) await gate;
      for (const item of batch) {
        const error = refuse(item);
        if (error) throw error;
      }
      return batch.map((item) => `stored ${item}`);
    },
    100,
    1,
    options.retryAlone,
  );
  return { writer, batches, open };
}

describe('GroupWriter', () => {
  it('writes a failed batch again item by item: the item at fault gets its own error, the others succeed', async () => {
    const { writer, batches, open } = gatedWriter((item) => (item.includes('bad') ? new Error(`refused ${item}`) : null));
    const first = writer.submit('first');
    const queued = ['a', 'bad-1', 'b', 'bad-2', 'c'].map((item) => writer.submit(item).then((r) => ({ ok: r }), (e: Error) => ({ error: e.message })));
    open();
    expect(await first).toBe('stored first');
    expect(await Promise.all(queued)).toEqual([
      { ok: 'stored a' },
      { error: 'refused bad-1' },
      { ok: 'stored b' },
      { error: 'refused bad-2' },
      { ok: 'stored c' },
    ]);
    expect(batches).toEqual([['first'], ['a', 'bad-1', 'b', 'bad-2', 'c'], ['a'], ['bad-1'], ['b'], ['bad-2'], ['c']]);
  });

  it('fails the whole batch at once when the failure is not an item\'s (retryAlone says no)', async () => {
    const down = new Error('connection refused');
    const { writer, batches, open } = gatedWriter((item) => (item === 'first' ? null : down), { retryAlone: (e) => e !== down });
    const first = writer.submit('first');
    const queued = ['a', 'b', 'c'].map((item) => writer.submit(item).catch((e: Error) => e));
    open();
    await first;
    expect(await Promise.all(queued)).toEqual([down, down, down]);
    expect(batches).toEqual([['first'], ['a', 'b', 'c']]);
  });
});
