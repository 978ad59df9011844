/**
 * The latest bulk actions, behind a disclosure on the sagas list (read only when opened): what,
 * by whom, why, how far; each opens its progress (`?bulk=<id>`). For every role.
 */
import type { BulkActionView } from '@nest-saga/contracts';
import { useState } from 'react';
import { Badge } from '../../../components/badge';
import { Button } from '../../../components/button';
import { ErrorState, Loading } from '../../../components/states';
import { Table, Td, Th } from '../../../components/table';
import { RelativeTime } from '../../../components/time';
import { useNow } from '../../../lib/use-now';
import { useRecentBulkActions } from '../api/list-bulk-actions';
import { BULK_ACTION_TEXT } from '../lib/selection';

const TONE = { RUNNING: 'progress', DONE: 'success', CANCELLED: 'warning' } as const;

function Rows({ actions, onOpen }: { actions: BulkActionView[]; onOpen: (id: string) => void }) {
  const now = useNow(5_000);
  return (
    <Table caption="Recent bulk actions, newest first" className="history-table">
      <thead>
        <tr>
          <Th>Started</Th>
          <Th>Action</Th>
          <Th>Status</Th>
          <Th>Done</Th>
          <Th>By</Th>
          <Th>Reason</Th>
          <Th>
            <span className="visually-hidden">Open</span>
          </Th>
        </tr>
      </thead>
      <tbody>
        {actions.map((b) => (
          <tr key={b.id}>
            <Td>
              <RelativeTime iso={b.createdAt} now={now} />
            </Td>
            <Td className="strong">{BULK_ACTION_TEXT[b.action].verb}</Td>
            <Td>
              <Badge tone={TONE[b.status]} className="status-badge">
                {b.status}
              </Badge>
            </Td>
            <Td className="num-left">
              {b.done.toLocaleString()} / {b.total.toLocaleString()}
              {b.failed ? <span className="muted small"> ({b.failed.toLocaleString()} failed)</span> : null}
            </Td>
            <Td>{b.actor}</Td>
            <Td className="reason">{b.reason}</Td>
            <Td>
              <Button size="sm" aria-label={`Show bulk ${b.action} ${b.id}`} onClick={() => onOpen(b.id)}>
                Show
              </Button>
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function RecentBulkActions({ onOpen }: { onOpen: (id: string) => void }) {
  const [open, setOpen] = useState(false);
  const recent = useRecentBulkActions(open);
  return (
    <details className="card bulk-recent" onToggle={(event) => setOpen((event.currentTarget as HTMLDetailsElement).open)}>
      <summary>Recent bulk actions</summary>
      {!open ? null : recent.isPending ? (
        <Loading label="Loading bulk actions…" />
      ) : recent.isError ? (
        <ErrorState error={recent.error} title="Could not load the bulk actions" onRetry={() => void recent.refetch()} />
      ) : recent.data.length === 0 ? (
        <p className="muted small">None yet. Operators start one by selecting sagas below.</p>
      ) : (
        <Rows actions={recent.data} onOpen={onOpen} />
      )}
    </details>
  );
}
