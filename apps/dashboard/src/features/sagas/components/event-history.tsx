import type { SagaEventType, SagaEventView } from '@nest-saga/contracts';
import { useId, useMemo, useState } from 'react';
import { EmptyState } from '../../../components/states';
import { Table, Td, Th } from '../../../components/table';
import { formatDateTime, formatTimeMs, prettyJson } from '../../../lib/format';

function eventTone(type: SagaEventType): string {
  if (/FAILED|TIMED_OUT|LOST|STUCK_DETECTED|DEADLINE/.test(type)) return 'danger';
  if (/REQUESTED|PAUSED|RETRY|TAKEN_OVER/.test(type)) return 'warning';
  if (/SUCCEEDED|COMPLETED|COMPENSATED|RESOLVED|RECOVERED/.test(type)) return 'success';
  return 'neutral';
}

export function EventHistory({ events }: { events: SagaEventView[] }) {
  const id = useId();
  const [step, setStep] = useState('');
  const [newestFirst, setNewestFirst] = useState(false);
  const steps = useMemo(() => [...new Set(events.map((e) => e.step).filter((s): s is string => Boolean(s)))], [events]);
  const shown = useMemo(() => {
    const filtered = step ? events.filter((e) => e.step === step) : events;
    const ordered = [...filtered].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
    return newestFirst ? ordered.reverse() : ordered;
  }, [events, step, newestFirst]);

  if (events.length === 0) return <EmptyState title="No events recorded yet" />;
  return (
    <div className="history">
      <div className="history-toolbar">
        <label htmlFor={`${id}-step`}>Step</label>
        <select id={`${id}-step`} value={step} onChange={(event) => setStep(event.target.value)}>
          <option value="">All steps and saga events</option>
          {steps.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        <label className="checkbox">
          <input type="checkbox" checked={newestFirst} onChange={(event) => setNewestFirst(event.target.checked)} />
          Newest first
        </label>
        <span className="muted small">
          {shown.length} of {events.length} events
        </span>
      </div>
      <Table caption="Event history" className="history-table">
        <thead>
          <tr>
            <Th>Time</Th>
            <Th>Type</Th>
            <Th>Step</Th>
            <Th className="num">Attempt</Th>
            <Th>Actor</Th>
            <Th>Reason</Th>
            <Th>Error</Th>
          </tr>
        </thead>
        <tbody>
          {shown.map((event) => (
            <tr key={event.id}>
              <Td className="mono small nowrap" title={formatDateTime(event.at)}>
                <time dateTime={event.at}>{formatTimeMs(event.at)}</time>
              </Td>
              <Td>
                <span className={`event-type tone-${eventTone(event.type)}`}>{event.type}</span>
                {event.data ? (
                  <details className="event-data">
                    <summary>data</summary>
                    <pre>{prettyJson(event.data)}</pre>
                  </details>
                ) : null}
              </Td>
              <Td className="mono">{event.step ?? <span className="muted">–</span>}</Td>
              <Td className="num">{event.attempt ?? <span className="muted">–</span>}</Td>
              <Td>{event.actor ?? <span className="muted">–</span>}</Td>
              <Td className="reason">{event.reason ?? <span className="muted">–</span>}</Td>
              <Td className="error-cell">
                {event.error ? (
                  <span className="error-text-inline">
                    {event.error.code ? <strong>{event.error.code}: </strong> : null}
                    {event.error.message}
                  </span>
                ) : (
                  <span className="muted">–</span>
                )}
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
}
