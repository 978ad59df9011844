/**
 * Group commit: an item is written at once when fewer than `maxConcurrent` batches are in flight;
 * items that arrive meanwhile wait and go together in the next batch (one statement, one commit).
 * `write` returns one result per item, in order; a failed batch fails each of its items.
 */
export class GroupWriter<T, R> {
  private readonly queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private writing = 0;

  constructor(
    private readonly write: (batch: T[]) => Promise<R[]>,
    private readonly maxBatchSize: number,
    private readonly maxConcurrent: number,
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
      this.write(batch.map((b) => b.item))
        .then(
          (results) => batch.forEach((b, i) => b.resolve(results[i])),
          (error) => batch.forEach((b) => b.reject(error)),
        )
        .finally(() => {
          this.writing--;
          this.pump();
        });
    }
  }
}
