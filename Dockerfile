# syntax=docker/dockerfile:1
#
# One image for both processes of Vectort:
#   API (default):  node apps/api/dist/main.js
#   worker:         node apps/worker/dist/main.js   (docker-compose.yml overrides the command)
#
# Build:  docker build -t vectort .
# Node 22 LTS: the AWS SDK needs Node >= 22 from January 2027 (see DESIGN.md, "Library notes").

ARG NODE_IMAGE=node:22-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: every dependency (dev included), then `tsc -b` writes each workspace's dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
# The CLI's manifest and bin too: npm ci links every workspace of the lock file (the image does not
# build or run the CLI).
COPY packages/cli/package.json packages/cli/
COPY packages/cli/bin packages/cli/bin
# The image's npm 10 accepts package-lock.json as committed; npm 11's stricter `npm ci` rejects it
# when other platforms' optional packages are missing from it (see ensureDeps in scripts/lib/proc.mjs).
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.base.json ./
COPY packages/shared/tsconfig.json packages/shared/
COPY packages/shared/src packages/shared/src
COPY apps/api/tsconfig.json apps/api/
COPY apps/api/src apps/api/src
COPY apps/worker/tsconfig.json apps/worker/
COPY apps/worker/src apps/worker/src
RUN npx tsc -b apps/api apps/worker

# ---------------------------------------------------------------------------------------------
# deps: production dependencies of the workspaces only (no TypeScript, jest, eslint, s3rver).
# npm links each workspace into node_modules/@vectort/* (relative symlinks, kept by COPY).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
# The CLI's manifest and bin too: npm ci links every workspace of the lock file (the image does not
# build or run the CLI).
COPY packages/cli/package.json packages/cli/
COPY packages/cli/bin packages/cli/bin
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---------------------------------------------------------------------------------------------
# runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

# Root-owned and read-only for the non-root `node` user that runs the processes; they write only to
# stdout/stderr and the OS temp dir.
COPY --from=deps /app ./
COPY --from=build /app/packages/shared/dist packages/shared/dist
COPY --from=build /app/apps/api/dist apps/api/dist
COPY --from=build /app/apps/worker/dist apps/worker/dist

# The base image's `node` user (uid/gid 1000), numeric so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# 8001: API (PORT) · 9464: worker metrics and /healthz (WORKER_METRICS_PORT)
EXPOSE 8001 9464
CMD ["node", "apps/api/dist/main.js"]
