# lbagent's image: the `lbagent` CLI (balancer, agent, demo, ...) on Node 20, production dependencies only.
#   docker build -t lbagent .        (docker-compose.yml builds it for the demo cluster)
#   docker run --rm lbagent --help
# The first stage compiles TypeScript to dist/; the image runs dist/ with no compiler and no tsx step.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not copied in yet (no dependency needs its scripts)
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
# `lbagent` on PATH: `docker compose exec web-1 lbagent members`
RUN ln -s /app/bin/lbagent.js /usr/local/bin/lbagent
COPY --from=build /src/dist ./dist
COPY docker ./docker
COPY examples/compose ./examples/compose
# The compose demo's shared secrets volume mounts here; a new volume takes this directory's owner (node).
RUN mkdir -p /run/lbagent-secrets && chown node:node /run/lbagent-secrets && chmod 0700 /run/lbagent-secrets
# The official image's unprivileged user (uid 1000).
USER node
# gossip (TCP and UDP), agent RPC (loopback by default), the balancer's admin API
EXPOSE 7946/tcp 7946/udp 7373/tcp 9901/tcp
# Alive when the balancer's admin API or the agent's RPC answers, whichever this container runs.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/lbagent.js"]
CMD ["--help"]
