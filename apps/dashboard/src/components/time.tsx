import { formatDateTime, formatRelative } from '../lib/format';

/** A relative time with the exact one in a tooltip and in the machine-readable attribute. */
export function RelativeTime({ iso, now }: { iso: string | null | undefined; now: number }) {
  if (!iso) return <span className="muted">–</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}

export function DateTime({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">–</span>;
  return <time dateTime={iso}>{formatDateTime(iso)}</time>;
}
