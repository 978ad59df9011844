import { Button } from '../../../components/button';
import { PAGE_SIZES } from '../api/search-params';

export interface PagerProps {
  /** 1-based page number when known (a shared link to a later page does not know it). */
  page: number | null;
  hasPrevious: boolean;
  hasNext: boolean;
  limit: number;
  busy: boolean;
  onFirst: () => void;
  onPrevious: () => void;
  onNext: () => void;
  onLimit: (limit: number) => void;
}

export function Pager({ page, hasPrevious, hasNext, limit, busy, onFirst, onPrevious, onNext, onLimit }: PagerProps) {
  return (
    <nav className="pager" aria-label="Pages">
      <label className="page-size">
        Rows
        <select value={limit} onChange={(event) => onLimit(Number(event.target.value))}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </label>
      <span className="muted" aria-live="polite">
        {page ? `Page ${page}` : 'A later page'}
      </span>
      <div className="pager-buttons">
        <Button size="sm" variant="ghost" onClick={onFirst} disabled={!hasPrevious || busy}>
          Newest
        </Button>
        <Button size="sm" onClick={onPrevious} disabled={!hasPrevious || busy}>
          ← Previous
        </Button>
        <Button size="sm" onClick={onNext} disabled={!hasNext || busy}>
          Next →
        </Button>
      </div>
    </nav>
  );
}
