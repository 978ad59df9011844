/**
 * The query queue between pglite-socket connections and the one PGlite session.
 *
 * pglite-socket 0.2.17's own queue is fair per protocol *message*: with several connections, the
 * Parse of one client and the Bind of another interleave on PGlite's single session ("bind message
 * supplies 3 parameters, but prepared statement "" requires 1"), and one failed message leaves its
 * queue stuck for good. This queue keeps a connection's messages together up to the end of its
 * batch (Sync, or a simple Query), and for the whole of an open transaction, as a PostgreSQL
 * server would; other connections wait. It is handed to `PGLiteSocketHandler` in place of the
 * package's (same duck type).
 */
import type { PGlite } from '@electric-sql/pglite';

interface Job {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (error: unknown) => void;
}

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'

export class ProtocolBatchQueue {
  private queue: Job[] = [];
  private processing = false;
  /** The connection whose batch or transaction is under way: only its messages run until it ends. */
  private owner: number | null = null;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ handlerId, message, onData, resolve, reject });
      void this.process();
    });
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.queue = this.queue.filter((job) => {
      if (job.handlerId !== handlerId) return true;
      job.reject(new Error('Handler disconnected'));
      return false;
    });
  }

  /** A connection went away: roll back what it left open and let the others run. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => undefined);
    this.owner = null;
    void this.process();
  }

  private take(): Job | undefined {
    if (this.owner === null) return this.queue.shift();
    const index = this.queue.findIndex((job) => job.handlerId === this.owner);
    return index === -1 ? undefined : this.queue.splice(index, 1)[0];
  }

  private async process(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (let job = this.take(); job; job = this.take()) {
        let bytes = 0;
        const current = job;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(current.message, {
              onRawData: (data: Uint8Array) => {
                bytes += data.length;
                current.onData(data);
              },
            }),
          );
          this.settle(current);
          current.resolve(bytes);
        } catch (error) {
          this.settle(current);
          current.reject(error);
        }
      }
    } finally {
      this.processing = false;
    }
  }

  /** After a message: keep serving its connection until its batch and transaction are over. */
  private settle(job: Job): void {
    const type = job.message[0];
    // A startup packet begins with its length (first byte 0): a unit of its own.
    const endsBatch = type === 0 || type === SYNC || type === QUERY || type === TERMINATE;
    this.owner = this.db.isInTransaction() || !endsBatch ? job.handlerId : null;
  }
}
