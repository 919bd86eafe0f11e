# keyplate as a container entrypoint: render config from env, etcd or Consul, then run and reload your program.
#
#   docker build -t keyplate .
#   docker run --rm -v "$PWD/myconf:/etc/keyplate:ro" -p 127.0.0.1:9100:9100 keyplate \
#     --backend etcd --node http://etcd:2379 -- my-program --its-flags
#
# keyplate is one executable (`npm run build:exe`, compiled with Bun): no Node in the images it goes into. Put it
# into an image you already have with one line (the `demo` stage below does it for nginx):
#
#   COPY --from=keyplate-exe /keyplate /usr/local/bin/keyplate         # glibc images (Debian, Ubuntu, RHEL, distroless/cc)
#   COPY --from=keyplate-exe /keyplate-musl /usr/local/bin/keyplate    # Alpine (needs `apk add libstdc++ libgcc`)
#
# where keyplate-exe is this file's `exe` stage: `docker build --target exe -t keyplate-exe .`
#
# The `keyplate` image (the default target) has nothing but keyplate, the C library it links and a static busybox
# (/bin/sh, which check_cmd and reload_cmd run through, wget for the health check, and the usual tools).
#
# Health: HEALTHCHECK asks keyplate's /healthz on the port of KEYPLATE_METRICS_ADDR, which this image sets to
# 0.0.0.0:9100 so the operations server (metrics, health, status page) is on. Choose another address with
# `-e KEYPLATE_METRICS_ADDR=0.0.0.0:PORT`, not with --metrics-addr, or the check looks at the wrong port.
# To run without the server, set KEYPLATE_METRICS_ADDR= (empty) and start the container with --no-healthcheck.
#
# PID 1: keyplate reaps orphaned zombies itself (waitpid through Bun's FFI), so `docker run --init` is not needed.

ARG NODE_IMAGE=node:20-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build:exe && exe/keyplate-linux-x64 --version
# The keyplate image's whole file system: the executable, the libraries `ldd` names for it, busybox (static) with
# its applets, and users.
RUN apt-get update \
 && apt-get install -y --no-install-recommends busybox-static \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /rootfs/usr/local/bin /rootfs/bin /rootfs/etc /rootfs/tmp \
 && chmod 1777 /rootfs/tmp \
 && cp exe/keyplate-linux-x64 /rootfs/usr/local/bin/keyplate \
 && for lib in $(ldd exe/keyplate-linux-x64 | grep -o '/[^ ]*'); do cp --parents -L "$lib" /rootfs; done \
 && cp /bin/busybox /rootfs/bin/busybox \
 && for applet in $(/bin/busybox --list); do [ -e "/rootfs/bin/$applet" ] || ln -s busybox "/rootfs/bin/$applet"; done \
 && printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\nnogroup:x:65534:\n' > /rootfs/etc/group

# Only the executables, to COPY --from into another image.
FROM scratch AS exe
COPY --from=build /app/exe/keyplate-linux-x64 /keyplate
COPY --from=build /app/exe/keyplate-linux-x64-musl /keyplate-musl

FROM scratch AS keyplate
COPY --from=build /rootfs /
ENV PATH=/usr/local/bin:/bin \
    KEYPLATE_METRICS_ADDR=0.0.0.0:9100
EXPOSE 9100
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${KEYPLATE_METRICS_ADDR##*:}/healthz" || exit 1
ENTRYPOINT ["keyplate"]

# The docker-compose demo (`docker compose up --build`, or `docker build --target demo -t keyplate-demo .`):
# nginx whose upstreams live in etcd; keyplate renders nginx.conf, starts nginx and reloads it. An nginx image
# with keyplate copied in, the way a user adds keyplate to an image of their own.
FROM ${DEBIAN_IMAGE} AS demo
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx wget \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
COPY --from=exe /keyplate /usr/local/bin/keyplate
COPY demo/confdir /demo
ENV KEYPLATE_METRICS_ADDR=0.0.0.0:9100
EXPOSE 80 9100
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${KEYPLATE_METRICS_ADDR##*:}/healthz" || exit 1
ENTRYPOINT ["keyplate", "--backend", "etcd", "--node", "http://etcd:2379", "--confdir", "/demo", "--", "nginx", "-g", "daemon off;"]

# The compose service `seed`: writes demo/keys.json into etcd and Consul (a Node script without dependencies).
FROM ${NODE_IMAGE} AS seed
COPY demo/seed.mjs demo/keys.json /opt/keyplate-demo/
ENTRYPOINT ["node", "/opt/keyplate-demo/seed.mjs"]

# The default target: keyplate alone.
FROM keyplate
