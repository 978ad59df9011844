/** The plan a saga runs, stored at its start: its steps in order with their params and policies. */
import type { SagaDetail, SagaPlanView } from '@nest-saga/contracts';
import { Badge } from '../../../components/badge';
import { EmptyState } from '../../../components/states';
import { Table, Td, Th } from '../../../components/table';
import { formatDuration } from '../../../lib/format';
import { formatRetryPolicy } from '../../definitions/components/format-policy';

const ORIGIN_TEXT: Record<SagaPlanView['origin'], string> = {
  definition: 'registered definition',
  composed: 'composed at start',
  legacy: 'stored before plans (derived)',
};

/** `composed at start · version 3`, for the header. */
export function describePlan(saga: Pick<SagaDetail, 'plan' | 'definitionVersion'>): string {
  return `${saga.plan ? ORIGIN_TEXT[saga.plan.origin] : 'unknown to this app'} · version ${saga.definitionVersion}`;
}

export function SagaPlan({ saga }: { saga: SagaDetail }) {
  const plan = saga.plan;
  if (!plan) {
    return (
      <EmptyState title="This app cannot show the plan of this saga">
        <p>It was stored before plans existed and names steps this app does not register.</p>
      </EmptyState>
    );
  }
  return (
    <div className="stack">
      <p className="muted small">
        Fixed when the saga started ({ORIGIN_TEXT[plan.origin]}, version {plan.version}); it runs by this plan to its end, whatever is deployed
        since. Deadline: {plan.timeoutMs ? `${formatDuration(plan.timeoutMs)}, then ${plan.deadlinePolicy}` : 'none'}.
      </p>
      <Table caption={`Plan of ${plan.name}, version ${plan.version}`}>
        <thead>
          <tr>
            <Th>#</Th>
            <Th>Step</Th>
            <Th>Params</Th>
            <Th>Timeout</Th>
            <Th>Retry</Th>
            <Th>Compensation timeout and retry</Th>
            <Th>On failure</Th>
          </tr>
        </thead>
        <tbody>
          {plan.steps.map((step, index) => (
            <tr key={step.step}>
              <Td className="muted num-left">{index + 1}</Td>
              <Td className="mono strong">{step.step}</Td>
              <Td className="mono small params-cell">{Object.keys(step.params ?? {}).length ? JSON.stringify(step.params) : <span className="muted">none</span>}</Td>
              <Td>{formatDuration(step.timeoutMs)}</Td>
              <Td className="small">{formatRetryPolicy(step.retry)}</Td>
              <Td className="small">{`${formatDuration(step.compensationTimeoutMs)} · ${formatRetryPolicy(step.compensationRetry)}`}</Td>
              <Td>{step.onFailure === 'pause' ? <Badge tone="warning">pause</Badge> : <Badge tone="neutral">compensate</Badge>}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
}
