/** Tabs with the WAI-ARIA keyboard model: arrows move between tabs, only the active tab is tabbable. */
import { useId, useRef, type ReactNode } from 'react';

export interface TabItem<K extends string> {
  key: K;
  label: ReactNode;
}

export function Tabs<K extends string>({ items, active, onChange, label, children }: { items: TabItem<K>[]; active: K; onChange: (key: K) => void; label: string; children: ReactNode }) {
  const baseId = useId();
  const refs = useRef(new Map<K, HTMLButtonElement>());
  const move = (from: number, delta: number) => {
    const next = items[(from + delta + items.length) % items.length]!;
    onChange(next.key);
    refs.current.get(next.key)?.focus();
  };
  return (
    <div className="tabs">
      <div role="tablist" aria-label={label} className="tablist">
        {items.map((item, index) => (
          <button
            key={item.key}
            ref={(el) => {
              if (el) refs.current.set(item.key, el);
              else refs.current.delete(item.key);
            }}
            type="button"
            role="tab"
            id={`${baseId}-tab-${item.key}`}
            aria-selected={item.key === active}
            aria-controls={`${baseId}-panel`}
            tabIndex={item.key === active ? 0 : -1}
            className="tab"
            onClick={() => onChange(item.key)}
            onKeyDown={(event) => {
              if (event.key === 'ArrowRight') move(index, 1);
              else if (event.key === 'ArrowLeft') move(index, -1);
              else if (event.key === 'Home') move(0, 0);
              else if (event.key === 'End') move(items.length - 1, 0);
              else return;
              event.preventDefault();
            }}
          >
            {item.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${baseId}-panel`} aria-labelledby={`${baseId}-tab-${active}`} className="tabpanel" tabIndex={0}>
        {children}
      </div>
    </div>
  );
}
