/**
 * Every saga and step status has a style. The `satisfies Record<...>` makes a status added to the
 * contracts fail to compile here until someone decides how it looks.
 */
import type { SagaStatus, StepStatus, StuckReason } from '@nest-saga/contracts';
import { Badge, type Tone } from '../../../components/badge';

interface StatusStyle {
  tone: Tone;
  label: string;
  /** What the status means, for the tooltip. */
  meaning: string;
}

export const SAGA_STATUS_STYLES = {
  PENDING: { tone: 'neutral', label: 'Pending', meaning: 'Started, waiting for an instance to pick it up.' },
  RUNNING: { tone: 'progress', label: 'Running', meaning: 'Steps are running.' },
  PAUSED: { tone: 'warning', label: 'Paused', meaning: 'Nothing runs until an operator resumes, retries, cancels or compensates.' },
  COMPENSATING: { tone: 'progress', label: 'Compensating', meaning: 'Undoing completed steps in reverse order.' },
  COMPLETED: { tone: 'success', label: 'Completed', meaning: 'Every step succeeded.' },
  COMPENSATED: { tone: 'info', label: 'Compensated', meaning: 'A step failed for good (or the deadline passed) and every compensation succeeded.' },
  CANCELLED: { tone: 'muted', label: 'Cancelled', meaning: 'Cancelled by an operator; every compensation succeeded.' },
  FAILED: { tone: 'danger', label: 'Failed', meaning: 'A compensation exhausted its retries. An operator must act.' },
} as const satisfies Record<SagaStatus, StatusStyle>;

export const STEP_STATUS_STYLES = {
  PENDING: { tone: 'neutral', label: 'Pending', meaning: 'Not started yet.' },
  RUNNING: { tone: 'progress', label: 'Running', meaning: 'An attempt is running or a retry is waiting.' },
  COMPLETED: { tone: 'success', label: 'Completed', meaning: 'The step succeeded; its output is stored.' },
  FAILED: { tone: 'danger', label: 'Failed', meaning: 'The step failed for good.' },
  COMPENSATING: { tone: 'progress', label: 'Compensating', meaning: 'Its compensation is running.' },
  COMPENSATED: { tone: 'info', label: 'Compensated', meaning: 'Its compensation succeeded (or was resolved by hand).' },
  COMPENSATION_FAILED: { tone: 'danger', label: 'Compensation failed', meaning: 'Its compensation exhausted its retries.' },
  SKIPPED: { tone: 'muted', label: 'Skipped', meaning: 'Never ran, or nothing to compensate.' },
} as const satisfies Record<StepStatus, StatusStyle>;

export const STUCK_REASON_TEXT = {
  LEASE_EXPIRED: 'the instance that owned it stopped renewing its lease',
  STEP_TIMEOUT_EXCEEDED: 'a step has been running past its timeout',
  RETRY_OVERDUE: 'a retry is overdue',
  PAUSED_TOO_LONG: 'it has been paused for a long time',
  DEADLINE_PASSED: 'its deadline passed',
  NO_PROGRESS: 'it has made no progress',
  STEP_NOT_REGISTERED: 'its plan needs a step that no running instance registers',
} as const satisfies Record<StuckReason, string>;

export function SagaStatusBadge({ status }: { status: SagaStatus }) {
  const style = SAGA_STATUS_STYLES[status];
  return (
    <Badge tone={style.tone} title={`${status}: ${style.meaning}`} className="status-badge">
      <span className="badge-dot" aria-hidden="true" />
      {status}
    </Badge>
  );
}

export function StepStatusBadge({ status }: { status: StepStatus }) {
  const style = STEP_STATUS_STYLES[status];
  return (
    <Badge tone={style.tone} title={`${status}: ${style.meaning}`} className="status-badge">
      {status}
    </Badge>
  );
}

export function StuckBadge({ reason }: { reason: StuckReason | null }) {
  return (
    <Badge tone="warning" title={reason ? `Stuck: ${STUCK_REASON_TEXT[reason]}` : 'Stuck'}>
      stuck
    </Badge>
  );
}
