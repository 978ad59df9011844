export const definitionKeys = {
  all: ['definitions'] as const,
  list: () => [...definitionKeys.all, 'list'] as const,
};
