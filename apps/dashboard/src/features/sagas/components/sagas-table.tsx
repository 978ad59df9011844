import type { SagaSummary } from '@nest-saga/contracts';
import { useEffect, useRef } from 'react';
import { Link, useNavigate } from 'react-router';
import { Table, Td, Th } from '../../../components/table';
import { RelativeTime } from '../../../components/time';
import { formatAge, formatDateTime, shortId } from '../../../lib/format';
import { SagaStatusBadge, StuckBadge } from './status-badge';

/** Row selection for bulk actions (operators only): the ticked ids, or every row when all matching are selected. */
export interface SagaRowSelection {
  isSelected: (id: string) => boolean;
  /** Every saga matching the filter is selected: the boxes are ticked and locked. */
  all: boolean;
  onToggle: (saga: SagaSummary, selected: boolean) => void;
  onTogglePage: (selected: boolean) => void;
}

function PageCheckbox({ sagas, selection }: { sagas: SagaSummary[]; selection: SagaRowSelection }) {
  const ref = useRef<HTMLInputElement>(null);
  const ticked = sagas.filter((s) => selection.isSelected(s.id)).length;
  const checked = selection.all || (sagas.length > 0 && ticked === sagas.length);
  const mixed = !checked && ticked > 0;
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = mixed;
  }, [mixed]);
  return (
    <input
      ref={ref}
      type="checkbox"
      aria-label="Select every saga on this page"
      checked={checked}
      disabled={selection.all}
      onChange={(event) => selection.onTogglePage(event.target.checked)}
    />
  );
}

export function SagasTable({ sagas, now, selection }: { sagas: SagaSummary[]; now: number; selection?: SagaRowSelection }) {
  const navigate = useNavigate();
  return (
    <Table caption="Sagas, newest first" className="sagas-table">
      <thead>
        <tr>
          {selection ? (
            <th scope="col" className="select-cell">
              <PageCheckbox sagas={sagas} selection={selection} />
            </th>
          ) : null}
          <Th>Status</Th>
          <Th>Name</Th>
          <Th>Id</Th>
          <Th>Idempotency key</Th>
          <Th>Current step</Th>
          <Th>Age</Th>
          <Th>Last update</Th>
        </tr>
      </thead>
      <tbody>
        {sagas.map((saga) => (
          <tr
            key={saga.id}
            className={selection && (selection.all || selection.isSelected(saga.id)) ? 'clickable-row selected-row' : 'clickable-row'}
            onClick={(event) => {
              // The id is the real link (keyboard, middle-click); a click elsewhere on the row is a shortcut.
              const target = event.target as HTMLElement;
              if (target.closest('a, button, input, .select-cell') || window.getSelection()?.toString()) return;
              void navigate(`/sagas/${encodeURIComponent(saga.id)}`);
            }}
          >
            {selection ? (
              <Td className="select-cell">
                <input
                  type="checkbox"
                  aria-label={`Select saga ${saga.id}`}
                  checked={selection.all || selection.isSelected(saga.id)}
                  disabled={selection.all}
                  onChange={(event) => selection.onToggle(saga, event.target.checked)}
                />
              </Td>
            ) : null}
            <Td>
              <span className="status-cell">
                <SagaStatusBadge status={saga.status} />
                {saga.stuckSince ? <StuckBadge reason={saga.stuckReason} /> : null}
              </span>
            </Td>
            <Td className="strong">{saga.name}</Td>
            <Td>
              <Link to={`/sagas/${encodeURIComponent(saga.id)}`} className="mono" title={saga.id} aria-label={`Saga ${saga.id}`}>
                {shortId(saga.id)}
              </Link>
            </Td>
            <Td className="mono truncate" title={saga.idempotencyKey ?? undefined}>
              {saga.idempotencyKey ?? <span className="muted">–</span>}
            </Td>
            <Td className="mono">{saga.currentStep ?? <span className="muted">–</span>}</Td>
            <Td title={`Started ${formatDateTime(saga.createdAt)}`}>{formatAge(saga.createdAt, now)}</Td>
            <Td>
              <RelativeTime iso={saga.updatedAt} now={now} />
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
