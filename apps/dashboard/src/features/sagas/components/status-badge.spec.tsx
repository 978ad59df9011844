import { SAGA_STATUSES, STEP_STATUSES, STUCK_REASONS } from '@nest-saga/contracts';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { SAGA_STATUS_STYLES, SagaStatusBadge, STEP_STATUS_STYLES, StepStatusBadge, STUCK_REASON_TEXT } from './status-badge';

describe('status badges', () => {
  it.each(SAGA_STATUSES)('shows saga status %s by its name, styled and explained', (status) => {
    render(<SagaStatusBadge status={status} />);
    const badge = screen.getByText(status);
    expect(badge.className).toContain(`badge-${SAGA_STATUS_STYLES[status].tone}`);
    expect(badge.getAttribute('title')).toBe(`${status}: ${SAGA_STATUS_STYLES[status].meaning}`);
  });

  it.each(STEP_STATUSES)('shows step status %s by its name, styled and explained', (status) => {
    render(<StepStatusBadge status={status} />);
    const badge = screen.getByText(status);
    expect(badge.className).toContain(`badge-${STEP_STATUS_STYLES[status].tone}`);
    expect(badge.getAttribute('title')).toContain(STEP_STATUS_STYLES[status].meaning);
  });

  it('styles every status and explains every stuck reason, and nothing else', () => {
    expect(Object.keys(SAGA_STATUS_STYLES).sort()).toEqual([...SAGA_STATUSES].sort());
    expect(Object.keys(STEP_STATUS_STYLES).sort()).toEqual([...STEP_STATUSES].sort());
    expect(Object.keys(STUCK_REASON_TEXT).sort()).toEqual([...STUCK_REASONS].sort());
  });

  it('sets the statuses that need an operator apart from the healthy ones', () => {
    expect(SAGA_STATUS_STYLES.FAILED.tone).toBe('danger');
    expect(SAGA_STATUS_STYLES.PAUSED.tone).toBe('warning');
    expect(SAGA_STATUS_STYLES.COMPLETED.tone).toBe('success');
    expect(STEP_STATUS_STYLES.COMPENSATION_FAILED.tone).toBe('danger');
  });
});
