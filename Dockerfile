# syntax=docker/dockerfile:1
# The api with the built dashboard. Build: docker build -t nest-saga-api .   (or docker compose up --build)

# ---- build: install everything, compile the libs, the dashboard (into @nest-saga/admin) and the api ----
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc nx.json tsconfig.base.json workspace-aliases.ts ./
COPY libs/saga-contracts/package.json libs/saga-contracts/
COPY libs/saga/package.json libs/saga/
COPY libs/saga-admin/package.json libs/saga-admin/
COPY apps/api/package.json apps/api/
COPY apps/dashboard/package.json apps/dashboard/
RUN npm ci --no-audit --no-fund
COPY libs libs
COPY apps apps
COPY scripts scripts
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies and compiled output only ----
FROM node:20.19-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LOG_FORMAT=json
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
# Workspace packages are symlinks in node_modules: keep the same paths so they resolve.
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/libs/saga-contracts/package.json libs/saga-contracts/
COPY --from=build /app/libs/saga-contracts/dist libs/saga-contracts/dist
COPY --from=build /app/libs/saga/package.json libs/saga/
COPY --from=build /app/libs/saga/dist libs/saga/dist
# The dashboard ships inside @nest-saga/admin (dist/console).
COPY --from=build /app/libs/saga-admin/package.json libs/saga-admin/
COPY --from=build /app/libs/saga-admin/dist libs/saga-admin/dist
COPY --from=build /app/apps/api/package.json apps/api/
COPY --from=build /app/apps/api/dist apps/api/dist
# Without DATABASE_URL the app keeps an embedded database in /app/.data: let the node user write it.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/api/dist/main.js"]
