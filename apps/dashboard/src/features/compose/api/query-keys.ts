export const stepKeys = {
  all: ['saga-steps'] as const,
  catalog: () => [...stepKeys.all, 'catalog'] as const,
};
