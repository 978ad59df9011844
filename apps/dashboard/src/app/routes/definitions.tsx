import { useState } from 'react';
import { Button } from '../../components/button';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { useCanOperate } from '../../features/auth/session-context';
import { ComposeSagaDialog } from '../../features/compose/components/compose-saga-dialog';
import { useDefinitions } from '../../features/definitions/api/get-definitions';
import { DefinitionCard } from '../../features/definitions/components/definition-card';
import { StartSagaDialog } from '../../features/definitions/components/start-saga-dialog';
import { PausedStepsPanel } from '../../features/step-breaker/components/paused-steps-panel';
import { useDocumentTitle } from '../../lib/use-document-title';

export function DefinitionsRoute() {
  useDocumentTitle('Definitions');
  const definitions = useDefinitions();
  const canOperate = useCanOperate();
  const [starting, setStarting] = useState<string | null>(null);
  const [composing, setComposing] = useState(false);
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Definitions</h1>
          <p className="muted small">
            The sagas registered in the running app, with their steps in order and the versions their unfinished sagas still run; the
            steps paused by the circuit breaker, and the sagas waiting at each.
          </p>
        </div>
        {canOperate ? (
          <Button variant="primary" onClick={() => setComposing(true)}>
            Compose a saga…
          </Button>
        ) : null}
      </header>
      <PausedStepsPanel />
      {definitions.isPending ? (
        <Loading label="Loading definitions…" />
      ) : definitions.isError ? (
        <ErrorState error={definitions.error} title="Could not load the definitions" onRetry={() => void definitions.refetch()} />
      ) : definitions.data.length === 0 ? (
        <EmptyState title="No sagas are registered">
          <p>Register a class decorated with @Saga in a module that imports SagaModule.</p>
        </EmptyState>
      ) : (
        <div className="stack">
          {definitions.data.map((definition) => (
            <DefinitionCard key={definition.name} definition={definition} onStart={canOperate ? () => setStarting(definition.name) : undefined} />
          ))}
        </div>
      )}
      {starting ? <StartSagaDialog name={starting} onClose={() => setStarting(null)} /> : null}
      {composing ? <ComposeSagaDialog onClose={() => setComposing(false)} /> : null}
    </div>
  );
}
