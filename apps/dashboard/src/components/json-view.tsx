import { prettyJson } from '../lib/format';
import { CopyButton } from './copy-button';

/**
 * Saga data shown as text. React escapes it, so a value like `<img src=x onerror=...>` is displayed,
 * never parsed as HTML.
 */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  const text = prettyJson(value);
  return (
    <figure className="json-view">
      <figcaption>
        <span>{label}</span>
        <CopyButton value={text} label={`Copy ${label}`} />
      </figcaption>
      <pre tabIndex={0} aria-label={label}>
        <code>{text}</code>
      </pre>
    </figure>
  );
}
