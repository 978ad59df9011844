import { useState } from 'react';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { useCanOperate } from '../../features/auth/session-context';
import { useDefinitions } from '../../features/definitions/api/get-definitions';
import { DefinitionCard } from '../../features/definitions/components/definition-card';
import { StartSagaDialog } from '../../features/definitions/components/start-saga-dialog';
import { useDocumentTitle } from '../../lib/use-document-title';

export function DefinitionsRoute() {
  useDocumentTitle('Definitions');
  const definitions = useDefinitions();
  const canOperate = useCanOperate();
  const [starting, setStarting] = useState<string | null>(null);
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>Definitions</h1>
          <p className="muted small">The sagas registered in the running app, with their steps in order.</p>
        </div>
      </header>
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
    </div>
  );
}
