# One image for both services; the compose file picks the entry point per service.
# Untested here (no Docker daemon on the machine that wrote it): see README.md.
FROM node:20-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first so source edits do not reinstall them. tsx is a runtime dependency:
# the services run their TypeScript directly, there is no build step.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY src ./src
COPY config ./config

# Owned by the unprivileged user so named volumes mounted here start writable.
RUN mkdir -p /app/data/dawg && chown -R node:node /app/data
USER node

EXPOSE 4000 3001

# `node --import tsx` keeps one process: `npx tsx` would put npm in front, and npm does not
# pass SIGTERM on, so `docker stop` would skip the graceful shutdown.
# The DAWG runs the same image with: node --import tsx src/dawg/main.ts
CMD ["node", "--import", "tsx", "src/control-plane/main.ts"]
