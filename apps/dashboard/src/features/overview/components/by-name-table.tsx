import { SAGA_STATUSES, type SagaStats } from '@nest-saga/contracts';
import { Link } from 'react-router';
import { EmptyState } from '../../../components/states';
import { Table, Td, Th } from '../../../components/table';
import { sagaListHref } from '../../sagas/api/search-params';

export function ByNameTable({ stats }: { stats: SagaStats }) {
  const names = Object.keys(stats.byName).sort();
  if (names.length === 0) return <EmptyState title="No sagas have run yet" />;
  return (
    <Table caption="Sagas by name and status" className="by-name-table">
      <thead>
        <tr>
          <Th>Saga</Th>
          <Th className="num">Total</Th>
          {SAGA_STATUSES.map((status) => (
            <Th key={status} className="num">
              {status}
            </Th>
          ))}
        </tr>
      </thead>
      <tbody>
        {names.map((name) => {
          const counts = stats.byName[name] ?? {};
          const total = SAGA_STATUSES.reduce((sum, status) => sum + (counts[status] ?? 0), 0);
          return (
            <tr key={name}>
              <Td>
                <Link to={sagaListHref({ name })} className="strong">
                  {name}
                </Link>
              </Td>
              <Td className="num">{total.toLocaleString()}</Td>
              {SAGA_STATUSES.map((status) => {
                const count = counts[status] ?? 0;
                return (
                  <Td key={status} className="num">
                    {count > 0 ? (
                      <Link to={sagaListHref({ name, status: [status] })} aria-label={`${name} ${status}: ${count}`}>
                        {count.toLocaleString()}
                      </Link>
                    ) : (
                      <span className="muted">0</span>
                    )}
                  </Td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}
