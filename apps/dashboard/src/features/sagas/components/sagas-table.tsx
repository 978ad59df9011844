import type { SagaSummary } from '@nest-saga/contracts';
import { Link, useNavigate } from 'react-router';
import { Table, Td, Th } from '../../../components/table';
import { RelativeTime } from '../../../components/time';
import { formatAge, formatDateTime, shortId } from '../../../lib/format';
import { SagaStatusBadge, StuckBadge } from './status-badge';

export function SagasTable({ sagas, now }: { sagas: SagaSummary[]; now: number }) {
  const navigate = useNavigate();
  return (
    <Table caption="Sagas, newest first" className="sagas-table">
      <thead>
        <tr>
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
            className="clickable-row"
            onClick={(event) => {
              // The id is the real link (keyboard, middle-click); a click elsewhere on the row is a shortcut.
              const target = event.target as HTMLElement;
              if (target.closest('a, button') || window.getSelection()?.toString()) return;
              void navigate(`/sagas/${encodeURIComponent(saga.id)}`);
            }}
          >
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
