import type { SagaDetail } from '@nest-saga/contracts';
import { JsonView } from '../../../components/json-view';

/** Input, each step's stored output and the saga's error, as pretty JSON text. */
export function SagaData({ saga }: { saga: SagaDetail }) {
  const withOutput = saga.steps.filter((step) => step.output !== null && step.output !== undefined);
  return (
    <div className="data-grid">
      <JsonView value={saga.input} label="Input" />
      {withOutput.length === 0 ? <p className="muted">No step has stored an output yet.</p> : null}
      {withOutput.map((step) => (
        <JsonView key={step.name} value={step.output} label={`Output of ${step.name}`} />
      ))}
      {saga.error ? <JsonView value={saga.error} label="Saga error" /> : null}
    </div>
  );
}
