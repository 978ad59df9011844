/**
 * Compose a saga at run time from the step catalog: steps picked in order, params as JSON, the
 * plan's problems (a step before the ones it needs, a taken name) shown while composing, then the
 * saga started and opened. The server checks the same rules and answers the same messages.
 */
import type { StepDefinitionView } from '@nest-saga/contracts';
import { useId, useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { Badge } from '../../../components/badge';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { ErrorMessage, ErrorState, Loading } from '../../../components/states';
import { Table, Td, Th } from '../../../components/table';
import { useDefinitions } from '../../definitions/api/get-definitions';
import { useStartSaga } from '../../sagas/api/start-saga';
import { useSagaSteps } from '../api/get-saga-steps';
import { compositionProblems, toPlanSteps, type DraftStep } from '../lib/composition';

function parseInput(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `The input is not valid JSON: ${(error as Error).message}` };
  }
}

function Catalog({ steps, picked, onAdd }: { steps: StepDefinitionView[]; picked: ReadonlySet<string>; onAdd: (step: string) => void }) {
  return (
    <Table caption="Registered steps" className="catalog-table">
      <thead>
        <tr>
          <Th>Step</Th>
          <Th>Compensation</Th>
          <Th>Needs</Th>
          <Th>
            <span className="visually-hidden">Add</span>
          </Th>
        </tr>
      </thead>
      <tbody>
        {steps.map((step) => (
          <tr key={step.name}>
            <Td className="mono strong">{step.name}</Td>
            <Td>{step.hasCompensation ? <Badge tone="success">yes</Badge> : <Badge tone="muted">none</Badge>}</Td>
            <Td className="small">{step.requires.length ? `needs ${step.requires.join(', ')}` : <span className="muted">–</span>}</Td>
            <Td className="num">
              <Button size="sm" aria-label={`Add ${step.name}`} disabled={picked.has(step.name)} onClick={() => onAdd(step.name)}>
                {picked.has(step.name) ? 'Added' : 'Add'}
              </Button>
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function ComposeSagaDialog({ onClose }: { onClose: () => void }) {
  const id = useId();
  const navigate = useNavigate();
  const start = useStartSaga();
  const steps = useSagaSteps();
  const definitions = useDefinitions();
  const nextKey = useRef(0);
  const [name, setName] = useState('');
  const [draft, setDraft] = useState<DraftStep[]>([]);
  const [input, setInput] = useState('{\n  \n}');
  const [idempotencyKey, setIdempotencyKey] = useState('');
  const [inputError, setInputError] = useState<string | null>(null);
  const [submitted, setSubmitted] = useState(false);

  const catalog = steps.data ?? [];
  const taken = definitions.data?.map((d) => d.name) ?? [];
  const problems = compositionProblems(name, draft, catalog, taken, { whileEditing: !submitted });
  const badParams = new Set(problems.filter((p) => p.field.endsWith('.params')).map((p) => p.index));

  const add = (step: string) => setDraft((d) => [...d, { key: `s${nextKey.current++}`, step, paramsText: '' }]);
  const move = (index: number, delta: number) =>
    setDraft((d) => {
      const next = [...d];
      const [entry] = next.splice(index, 1);
      next.splice(index + delta, 0, entry!);
      return next;
    });
  const remove = (index: number) => setDraft((d) => d.filter((_, i) => i !== index));
  const setParams = (index: number, paramsText: string) => setDraft((d) => d.map((e, i) => (i === index ? { ...e, paramsText } : e)));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (compositionProblems(name, draft, catalog, taken).length > 0) return;
    const parsed = parseInput(input);
    if (!parsed.ok) {
      setInputError(parsed.message);
      return;
    }
    setInputError(null);
    start.mutate(
      { name: name.trim(), steps: toPlanSteps(draft), input: parsed.value, ...(idempotencyKey.trim() ? { idempotencyKey: idempotencyKey.trim() } : {}) },
      { onSuccess: (saga) => void navigate(`/sagas/${encodeURIComponent(saga.id)}`) },
    );
  };

  return (
    <Dialog
      open
      size="lg"
      title="Compose a saga"
      description="Pick registered steps in the order they run: each once, after the steps whose outputs it needs. Params become the step's ctx.params. The saga stores this plan and runs by it to the end, whatever is deployed later."
      onClose={onClose}
      locked={start.isPending}
      initialFocus="input"
      footer={
        <>
          <Button onClick={onClose} disabled={start.isPending}>
            Cancel
          </Button>
          <Button type="submit" form={`${id}-form`} variant="primary" busy={start.isPending}>
            Start saga
          </Button>
        </>
      }
    >
      <form id={`${id}-form`} className="form compose-form" onSubmit={onSubmit}>
        <label htmlFor={`${id}-name`}>Saga name</label>
        <input id={`${id}-name`} className="mono" value={name} onChange={(event) => setName(event.target.value)} autoComplete="off" placeholder="refund-order" />

        <h3 className="form-heading">Registered steps</h3>
        {steps.isPending ? (
          <Loading label="Loading the steps…" />
        ) : steps.isError ? (
          <ErrorState error={steps.error} title="Could not load the registered steps" onRetry={() => void steps.refetch()} />
        ) : (
          <Catalog steps={catalog} picked={new Set(draft.map((d) => d.step))} onAdd={add} />
        )}

        <h3 className="form-heading">Plan</h3>
        {draft.length === 0 ? <p className="muted small">No steps yet: add them from the registered steps, in the order they run.</p> : null}
        <ol className="plan-list" aria-label="Plan">
          {draft.map((entry, index) => (
            <li key={entry.key} className="plan-entry" aria-label={`Step ${index + 1}: ${entry.step}`}>
              <div className="plan-entry-head">
                <span className="plan-index">{index + 1}</span>
                <span className="mono strong">{entry.step}</span>
                <span className="plan-entry-actions">
                  <Button size="sm" variant="ghost" aria-label={`Move ${entry.step} up`} disabled={index === 0} onClick={() => move(index, -1)}>
                    ↑
                  </Button>
                  <Button size="sm" variant="ghost" aria-label={`Move ${entry.step} down`} disabled={index === draft.length - 1} onClick={() => move(index, 1)}>
                    ↓
                  </Button>
                  <Button size="sm" variant="ghost" aria-label={`Remove ${entry.step}`} onClick={() => remove(index)}>
                    Remove
                  </Button>
                </span>
              </div>
              <label htmlFor={`${id}-params-${entry.key}`} className="small">
                Params of {entry.step} (JSON)
              </label>
              <textarea
                id={`${id}-params-${entry.key}`}
                className="mono"
                rows={2}
                spellCheck={false}
                placeholder="{} (none)"
                value={entry.paramsText}
                onChange={(event) => setParams(index, event.target.value)}
                aria-invalid={badParams.has(index) ? true : undefined}
              />
            </li>
          ))}
        </ol>
        {problems.length > 0 ? (
          <div className="callout callout-warning" role="alert">
            <ul className="problem-list">
              {problems.map((p, i) => (
                <li key={i}>{p.message}</li>
              ))}
            </ul>
          </div>
        ) : null}

        <label htmlFor={`${id}-input`}>Input (JSON)</label>
        <textarea
          id={`${id}-input`}
          className="mono"
          rows={6}
          spellCheck={false}
          value={input}
          onChange={(event) => setInput(event.target.value)}
          aria-invalid={inputError ? true : undefined}
          aria-describedby={inputError ? `${id}-input-error` : undefined}
        />
        {inputError ? (
          <p id={`${id}-input-error`} className="field-error">
            {inputError}
          </p>
        ) : null}
        <label htmlFor={`${id}-key`}>
          Idempotency key <span className="muted">(optional)</span>
        </label>
        <input id={`${id}-key`} className="mono" value={idempotencyKey} onChange={(event) => setIdempotencyKey(event.target.value)} autoComplete="off" />
        {start.isError ? <ErrorMessage error={start.error} /> : null}
      </form>
    </Dialog>
  );
}
