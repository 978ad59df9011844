export const stepBreakerKeys = {
  all: ['step-breaker'] as const,
  paused: () => [...stepBreakerKeys.all, 'paused'] as const,
};
