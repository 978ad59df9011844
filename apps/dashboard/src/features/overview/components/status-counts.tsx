import { SAGA_STATUSES, type SagaStats } from '@nest-saga/contracts';
import { Link } from 'react-router';
import { sagaListHref } from '../../sagas/api/search-params';
import { SAGA_STATUS_STYLES } from '../../sagas/components/status-badge';

/** The three numbers an operator looks at first: what waits for a human. */
export function AttentionCards({ stats }: { stats: SagaStats }) {
  const cards = [
    { label: 'Failed', hint: 'A compensation gave up: retry it or resolve the step by hand.', count: stats.byStatus.FAILED ?? 0, href: sagaListHref({ status: ['FAILED'] }), tone: 'danger' },
    { label: 'Paused', hint: 'Waiting for an operator to resume, retry, cancel or compensate.', count: stats.byStatus.PAUSED ?? 0, href: sagaListHref({ status: ['PAUSED'] }), tone: 'warning' },
    { label: 'Stuck', hint: 'No progress for longer than expected.', count: stats.stuck, href: sagaListHref({ stuck: true }), tone: 'warning' },
  ] as const;
  return (
    <div className="attention-grid">
      {cards.map((card) => (
        <Link key={card.label} to={card.href} className={`stat-card attention ${card.count > 0 ? `tone-${card.tone}` : 'tone-calm'}`}>
          <span className="stat-label">{card.label}</span>
          <span className="stat-value">{card.count.toLocaleString()}</span>
          <span className="stat-hint">{card.count > 0 ? card.hint : 'Nothing to do.'}</span>
        </Link>
      ))}
    </div>
  );
}

export function StatusCounts({ stats }: { stats: SagaStats }) {
  return (
    <ul className="status-grid" aria-label="Sagas by status">
      {SAGA_STATUSES.map((status) => {
        const count = stats.byStatus[status] ?? 0;
        return (
          <li key={status}>
            <Link to={sagaListHref({ status: [status] })} className={`status-tile tone-${SAGA_STATUS_STYLES[status].tone}`} aria-label={`${status}: ${count}`}>
              <span className="status-tile-name">{status}</span>
              <span className="status-tile-count">{count.toLocaleString()}</span>
            </Link>
          </li>
        );
      })}
    </ul>
  );
}
