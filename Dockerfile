# keyplate as a container entrypoint: render config from env, etcd or Consul, then run and reload your program.
#
#   docker build -t keyplate .
#   docker run --rm -v "$PWD/myconf:/etc/keyplate:ro" -p 127.0.0.1:9100:9100 keyplate \
#     --backend etcd --node http://etcd:2379 -- my-program --its-flags
#
# Make your own image FROM this one with your program added (the `demo` stage below does it for nginx).
#
# Health: HEALTHCHECK asks keyplate's /healthz on the port of KEYPLATE_METRICS_ADDR, which this image sets to
# 0.0.0.0:9100 so the operations server (metrics, health, status page) is on. Choose another address with
# `-e KEYPLATE_METRICS_ADDR=0.0.0.0:PORT`, not with --metrics-addr, or the check looks at the wrong port.
# To run without the server, set KEYPLATE_METRICS_ADDR= (empty) and start the container with --no-healthcheck.
#
# PID 1: the build compiles keyplate's zombie reaper, so keyplate can be PID 1 itself; `docker run --init` works too.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# python3, make and g++ are for node-gyp (the reaper addon); they stay in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && mkdir -p native/reaper/build/Release

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS keyplate
ENV NODE_ENV=production \
    KEYPLATE_METRICS_ADDR=0.0.0.0:9100
WORKDIR /opt/keyplate
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/reaper/build/Release ./native/reaper/build/Release
# package.json's "bin" names the built entry point; link it onto PATH and prove it starts.
RUN bin="$(node -p "require('./package.json').bin.keyplate")" \
 && chmod +x "$bin" \
 && ln -s "/opt/keyplate/$bin" /usr/local/bin/keyplate \
 && keyplate --version
EXPOSE 9100
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const a=process.env.KEYPLATE_METRICS_ADDR||'';fetch('http://127.0.0.1:'+a.slice(a.lastIndexOf(':')+1)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["keyplate"]

# The docker-compose demo (`docker compose up --build`, or `docker build --target demo -t keyplate-demo .`):
# nginx whose upstreams live in etcd; keyplate renders nginx.conf, starts nginx and reloads it.
FROM keyplate AS demo
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
COPY demo/confdir /demo
# The seeder (compose service `seed`) runs from this image too.
COPY demo/seed.mjs demo/keys.json /opt/keyplate-demo/
# HEALTHCHECK, ENV and port 9100 come from the keyplate stage.
EXPOSE 80
ENTRYPOINT ["keyplate", "--backend", "etcd", "--node", "http://etcd:2379", "--confdir", "/demo", "--", "nginx", "-g", "daemon off;"]

# The default target: keyplate alone.
FROM keyplate
