import type { SagaDefinitionCensus } from '@nest-saga/contracts';
import { Badge } from '../../../components/badge';
import { Button, ButtonLink } from '../../../components/button';
import { Table, Td, Th } from '../../../components/table';
import { formatDuration } from '../../../lib/format';
import { sagaListHref } from '../../sagas/api/search-params';
import { formatRetryPolicy } from './format-policy';

/** Unfinished sagas per version: a deployment must keep the steps of every version still listed. */
function Versions({ definition }: { definition: SagaDefinitionCensus }) {
  return (
    <ul className="version-list" aria-label="Unfinished sagas by version">
      {definition.versions.map((v) => (
        <li key={v.version}>
          <Badge tone={v.version === definition.version ? 'info' : v.running > 0 ? 'warning' : 'muted'}>
            v{v.version}
            {v.version === definition.version ? ' (registered)' : ''}: {v.running} unfinished
          </Badge>
        </li>
      ))}
    </ul>
  );
}

export function DefinitionCard({ definition, onStart }: { definition: SagaDefinitionCensus; onStart?: () => void }) {
  const titleId = `definition-${definition.name}`;
  return (
    <article className="card definition" aria-labelledby={titleId}>
      <header className="card-header">
        <div>
          <h2 id={titleId} className="mono">
            {definition.name}
          </h2>
          <p className="muted small">
            version {definition.version} · {definition.steps.length} steps · deadline{' '}
            {definition.timeoutMs ? `${formatDuration(definition.timeoutMs)}, then ${definition.deadlinePolicy}` : 'none'}
          </p>
          <Versions definition={definition} />
        </div>
        <div className="card-actions">
          <ButtonLink to={sagaListHref({ name: definition.name })} size="sm">
            View sagas
          </ButtonLink>
          {onStart ? (
            <Button size="sm" variant="primary" onClick={onStart}>
              Start a saga…
            </Button>
          ) : null}
        </div>
      </header>
      <Table caption={`Steps of ${definition.name}, in order`}>
        <thead>
          <tr>
            <Th>#</Th>
            <Th>Step</Th>
            <Th>Compensation</Th>
            <Th>Timeout</Th>
            <Th>Retry</Th>
            <Th>Compensation timeout and retry</Th>
            <Th>On failure</Th>
          </tr>
        </thead>
        <tbody>
          {definition.steps.map((step, index) => (
            <tr key={step.name}>
              <Td className="muted num-left">{index + 1}</Td>
              <Td>
                <span className="mono strong">{step.name}</span>
                {step.requires.length ? <span className="muted small step-needs">needs {step.requires.join(', ')}</span> : null}
                {step.effects === 'none' ? (
                  <span className="step-needs" title="Acts on nothing outside the process: it starts without a checkpoint of its own">
                    <Badge tone="muted">no outside effect</Badge>
                  </span>
                ) : null}
              </Td>
              <Td>{step.hasCompensation ? <Badge tone="success">yes</Badge> : <Badge tone="muted">none</Badge>}</Td>
              <Td>{formatDuration(step.timeoutMs)}</Td>
              <Td className="small">{formatRetryPolicy(step.retry)}</Td>
              <Td className="small">
                {step.hasCompensation ? `${formatDuration(step.compensationTimeoutMs)} · ${formatRetryPolicy(step.compensationRetry)}` : <span className="muted">–</span>}
              </Td>
              <Td>{step.onFailure === 'pause' ? <Badge tone="warning">pause</Badge> : <Badge tone="neutral">compensate</Badge>}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </article>
  );
}
