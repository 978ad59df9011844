import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { ErrorMessage } from '../../../components/states';
import { useStartSaga } from '../../sagas/api/start-saga';

function parseInput(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `The input is not valid JSON: ${(error as Error).message}` };
  }
}

export function StartSagaDialog({ name, onClose }: { name: string; onClose: () => void }) {
  const id = useId();
  const navigate = useNavigate();
  const start = useStartSaga();
  const [input, setInput] = useState('{\n  \n}');
  const [idempotencyKey, setIdempotencyKey] = useState('');
  const [inputError, setInputError] = useState<string | null>(null);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseInput(input);
    if (!parsed.ok) {
      setInputError(parsed.message);
      return;
    }
    setInputError(null);
    start.mutate(
      { name, input: parsed.value, ...(idempotencyKey.trim() ? { idempotencyKey: idempotencyKey.trim() } : {}) },
      { onSuccess: (saga) => void navigate(`/sagas/${encodeURIComponent(saga.id)}`) },
    );
  };

  return (
    <Dialog
      open
      size="lg"
      title={
        <>
          Start a <span className="mono">{name}</span> saga
        </>
      }
      description="The saga starts at once and runs on this app's instances. With an idempotency key that already exists, you get the existing saga instead of a new one."
      onClose={onClose}
      locked={start.isPending}
      initialFocus="textarea"
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
      <form id={`${id}-form`} className="form" onSubmit={onSubmit}>
        <label htmlFor={`${id}-input`}>Input (JSON)</label>
        <textarea
          id={`${id}-input`}
          className="mono"
          rows={10}
          spellCheck={false}
          value={input}
          onChange={(event) => setInput(event.target.value)}
          aria-invalid={inputError ? true : undefined}
          aria-describedby={inputError ? `${id}-input-error` : undefined}
        />
        {inputError ? (
          <p id={`${id}-input-error`} className="field-error" role="alert">
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
