import { SAGA_STATUSES, type SagaStatus } from '@nest-saga/contracts';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { Button } from '../../../components/button';
import { EMPTY_FILTERS, hasFilters, type SagaListFilters } from '../api/search-params';
import { SAGA_STATUS_STYLES } from './status-badge';

export interface SagaFiltersProps {
  filters: SagaListFilters;
  /** Saga names to choose from (registered definitions). */
  names: string[];
  onChange: (filters: SagaListFilters) => void;
}

export function SagaFilters({ filters, names, onChange }: SagaFiltersProps) {
  const id = useId();
  const [q, setQ] = useState(filters.q ?? '');
  // The URL is the source of truth: follow it when it changes (back button, a pasted link).
  useEffect(() => setQ(filters.q ?? ''), [filters.q]);

  const toggleStatus = (status: SagaStatus) => {
    const next = filters.status.includes(status) ? filters.status.filter((s) => s !== status) : [...filters.status, status];
    onChange({ ...filters, status: next });
  };
  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    onChange({ ...filters, q: q.trim() || null });
  };
  const nameOptions = filters.name && !names.includes(filters.name) ? [...names, filters.name] : names;

  return (
    <section className="filters" aria-label="Filters">
      <form className="search" role="search" onSubmit={onSearch}>
        <label htmlFor={`${id}-q`} className="visually-hidden">
          Search by saga id or idempotency key
        </label>
        <input
          id={`${id}-q`}
          type="search"
          placeholder="Search by saga id or idempotency key"
          value={q}
          onChange={(event) => setQ(event.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
        <Button type="submit" variant="primary">
          Search
        </Button>
      </form>

      <div className="filter-row">
        <fieldset className="status-filter">
          <legend>Status</legend>
          <div className="chips">
            {SAGA_STATUSES.map((status) => {
              const pressed = filters.status.includes(status);
              return (
                <button
                  key={status}
                  type="button"
                  className={`chip chip-${SAGA_STATUS_STYLES[status].tone}`}
                  aria-pressed={pressed}
                  onClick={() => toggleStatus(status)}
                  title={SAGA_STATUS_STYLES[status].meaning}
                >
                  {status}
                </button>
              );
            })}
          </div>
        </fieldset>

        <div className="field">
          <label htmlFor={`${id}-name`}>Saga</label>
          <select id={`${id}-name`} value={filters.name ?? ''} onChange={(event) => onChange({ ...filters, name: event.target.value || null })}>
            <option value="">All sagas</option>
            {nameOptions.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>

        <label className="checkbox">
          <input type="checkbox" checked={filters.stuck} onChange={(event) => onChange({ ...filters, stuck: event.target.checked })} />
          Stuck only
        </label>

        {hasFilters(filters) ? (
          <Button variant="ghost" size="sm" onClick={() => onChange(EMPTY_FILTERS)}>
            Clear filters
          </Button>
        ) : null}
      </div>
    </section>
  );
}
