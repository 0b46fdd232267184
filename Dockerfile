# Flint as a container for ECS, App Runner or any host that runs OCI images.
#
# The build stage bundles the Node entry (packages/server/src/main.ts) with esbuild into one
# file. The runtime stage holds Node, that bundle and PGlite, whose WebAssembly files are loaded
# from its package folder and so stay outside the bundle. It has no Java, so it cannot start
# DynamoDB Local: run it with FLINT_STORE=dynamodb (the default here), postgres or pglite.
# docs/operations.md lists the settings and how this file is checked.

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# Manifests first, so that the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY packages/api/package.json packages/api/
COPY packages/core/package.json packages/core/
COPY packages/dynamodb/package.json packages/dynamodb/
COPY packages/loader/package.json packages/loader/
COPY packages/postgres/package.json packages/postgres/
COPY packages/repository/package.json packages/repository/
COPY packages/server/package.json packages/server/
# Install scripts only download runtime binaries (Deno, Bun) that the image does not use.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY packages packages
RUN ["npx", "esbuild", "packages/server/src/main.ts", "--bundle", "--platform=node", "--format=esm", "--target=node20", "--sourcemap", "--legal-comments=none", "--log-level=warning", "--external:@electric-sql/pglite", "--banner:js=import { createRequire as flintCreateRequire } from 'node:module'; const require = flintCreateRequire(import.meta.url);", "--outfile=dist/server.mjs"]

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    FLINT_STORE=dynamodb \
    FLINT_DATA_DIR=/data \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
WORKDIR /app
COPY --from=build /src/dist/ dist/
COPY --from=build /src/node_modules/@electric-sql/pglite/ node_modules/@electric-sql/pglite/
# PGlite keeps its data in FLINT_DATA_DIR; the other stores write nothing to disk.
RUN mkdir /data && chown node:node /data
USER node
EXPOSE 8080
# /fhir/metadata is built from the route table without a store call, so this checks that the
# process serves HTTP, not that the database is reachable.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/fhir/metadata`).then((response) => process.exit(response.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/server.mjs"]
