/**
 * Group commit: an item is written at once when fewer than `maxConcurrent` batches are in flight;
 * items that arrive meanwhile wait and go together in the next batch (one statement, one commit).
 * `write` returns one result per item, in order. A batch shares one statement, so one item the
 * database refuses would fail all of them: a failed batch is written again one item at a time, and
 * only the item at fault gets an error (unless `retryAlone` says the failure is not an item's).
 */
interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class GroupWriter<T, R> {
  private readonly queue: Waiting<T, R>[] = [];
  private writing = 0;

  constructor(
    private readonly write: (batch: T[]) => Promise<R[]>,
    private readonly maxBatchSize: number,
    private readonly maxConcurrent: number,
    /**
     * Whether a failed batch is worth writing again item by item. Say no for failures that would
     * fail every item alike (the database is unreachable): that saves a statement per item.
     */
    private readonly retryAlone: (error: unknown) => boolean = () => true,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.writing < this.maxConcurrent && this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatchSize);
      this.writing++;
      this.flush(batch).finally(() => {
        this.writing--;
        this.pump();
      });
    }
  }

  private async flush(batch: Waiting<T, R>[]): Promise<void> {
    let results: R[];
    try {
      results = await this.write(batch.map((b) => b.item));
    } catch (error) {
      if (batch.length === 1 || !this.retryAlone(error)) {
        for (const b of batch) b.reject(error);
        return;
      }
      // One after another on this writer's slot: the other slots keep serving new batches, and a
      // large failed batch takes one connection, not one per item.
      for (const b of batch) {
        try {
          b.resolve((await this.write([b.item]))[0]);
        } catch (alone) {
          b.reject(alone);
        }
      }
      return;
    }
    batch.forEach((b, i) => b.resolve(results[i]));
  }
}
