import type { ReactNode } from 'react';

export type Tone = 'neutral' | 'info' | 'progress' | 'success' | 'warning' | 'danger' | 'muted';

export function Badge({ tone = 'neutral', title, children, className }: { tone?: Tone; title?: string; children: ReactNode; className?: string }) {
  return (
    <span className={`badge badge-${tone}${className ? ` ${className}` : ''}`} title={title}>
      {children}
    </span>
  );
}
