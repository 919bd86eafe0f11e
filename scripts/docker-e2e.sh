#!/usr/bin/env bash
# The container image, built and run for real, on a machine that reaches Debian's and npm's package registries but
# no container registry:
#   1. installs Debian's docker.io and debootstrap if missing, and starts a Docker engine of its own (overlay2
#      storage where the kernel has overlayfs, else vfs; no iptables rules or default bridge of its own) unless one
#      answers on $KEYPLATE_E2E_DOCKER_HOST;
#   2. builds base images locally: a minimal Debian from debootstrap (`docker import`), Node on it (this machine's
#      node and npm copied in), etcd on it (Debian's etcd-server and etcd-client);
#   3. builds the project's Dockerfile on them (targets keyplate, exe, demo, seed) and reports their sizes; and an
#      Alpine-like image (no Alpine image is reachable): scripts/musl-rootfs.sh's root file system (Debian's musl,
#      GCC's libstdc++ linked on musl, busybox-static) with the exe stage's /keyplate-musl copied in;
#   4. runs, on the keyplate image and on the musl one: --version and --help; the --onetime example (Handlebars)
#      and a confd template (Go engine); keyplate as PID 1 with orphaned grandchildren (no zombie, the command's
#      exit code kept); `docker stop` forwarding SIGTERM to the command. Then the compose demo's scenario (etcd,
#      the seeder, keyplate in front of nginx, a key change that reloads nginx) with `docker run` on a
#      user-defined network, since `docker compose` is not there; and the musl executable watching that etcd,
#      re-rendering on a put.
# It stops and removes every container and network it started, by ID, and the engine if it started it.
# Idempotent: the debootstrapped tree, the engine's data (images, build cache) live under $KEYPLATE_E2E_CACHE
# (default /var/cache/keyplate-docker-e2e), which it owns; a second run reuses them. Time-bounded: the whole run
# is stopped after $KEYPLATE_E2E_TIMEOUT seconds (default 1200), each step after its own limit.
#   bash scripts/docker-e2e.sh
set -euo pipefail
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
cd "$(dirname "$self")/.."

budget="${KEYPLATE_E2E_TIMEOUT:-1200}"
if [ -z "${KEYPLATE_E2E_BOUNDED:-}" ]; then
  # SIGTERM at the limit runs the cleanup trap below; SIGKILL 60 s later if that hangs.
  KEYPLATE_E2E_BOUNDED=1 exec timeout --kill-after=60 "$budget" bash "$self" "$@"
fi

cache="${KEYPLATE_E2E_CACHE:-/var/cache/keyplate-docker-e2e}"
mirror="${KEYPLATE_E2E_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
run_id="kp-e2e-$$"
mkdir -p "$cache/run"
export DOCKER_HOST="${KEYPLATE_E2E_DOCKER_HOST:-unix://$cache/run/docker.sock}"

log() { printf '[docker-e2e %4ss] %s\n' "$SECONDS" "$*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}
# step SECONDS command...: the command, stopped after SECONDS.
step() {
  local limit="$1"
  shift
  timeout --kill-after=10 "$limit" "$@"
}

containers=()
networks=()
work=""
started_engine=""
forward_rule=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ "${#containers[@]}" -gt 0 ]; then
    step 60 docker rm -f "${containers[@]}" >/dev/null 2>&1 || log "could not remove containers ${containers[*]}"
  fi
  if [ -n "$forward_rule" ]; then
    iptables -D FORWARD -i "$forward_rule" -o "$forward_rule" -j ACCEPT || log "could not remove the FORWARD rule for $forward_rule"
  fi
  if [ "${#networks[@]}" -gt 0 ]; then
    step 30 docker network rm "${networks[@]}" >/dev/null 2>&1 || log "could not remove networks ${networks[*]}"
  fi
  if [ -n "$started_engine" ]; then
    step 30 docker image prune -f >/dev/null 2>&1 || true # superseded layers of earlier runs (vfs copies each in full)
    kill "$started_engine" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$started_engine" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$started_engine" 2>/dev/null && kill -KILL "$started_engine" 2>/dev/null
  fi
  [ -n "$work" ] && rm -rf "$work"
  if [ "$status" -eq 0 ]; then log "passed in ${SECONDS}s"; else log "failed (exit $status) after ${SECONDS}s"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# Remembers a container or network by ID for the cleanup; prints the ID.
track_container() { containers+=("$1"); }
track_network() { networks+=("$1"); }

# ---- 1. Tools and engine ---------------------------------------------------------------------------------------
# shellcheck source=scripts/lib/apt-install.sh
source scripts/lib/apt-install.sh
apt_install docker-e2e docker.io command -v dockerd
apt_install docker-e2e debootstrap command -v debootstrap
command -v node >/dev/null || fail "node is needed on this machine (it goes into the local Node base image)"

if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  # overlay2 builds the images here in a third of vfs's time (vfs copies every layer in full).
  driver=vfs
  grep -qw overlay /proc/filesystems && driver=overlay2
  driver="${KEYPLATE_E2E_STORAGE_DRIVER:-$driver}"
  log "starting dockerd ($driver storage, data in $cache/docker-$driver)"
  dockerd --storage-driver="$driver" --data-root "$cache/docker-$driver" --exec-root /run/keyplate-e2e-docker \
    --host "$DOCKER_HOST" --pidfile "$cache/run/dockerd.pid" \
    --iptables=false --ip-masq=false --bridge=none >"$cache/run/dockerd.log" 2>&1 &
  started_engine=$!
  for _ in $(seq 1 150); do
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    kill -0 "$started_engine" 2>/dev/null || { tail -n 20 "$cache/run/dockerd.log" >&2; started_engine=""; fail "dockerd exited (its log above)"; }
    sleep 0.2
  done
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || { tail -n 20 "$cache/run/dockerd.log" >&2; fail "dockerd did not answer within 30s"; }
fi
log "engine: Docker $(docker version --format '{{.Server.Version}}') at $DOCKER_HOST"

# ---- 2. Base images, built here ---------------------------------------------------------------------------------
base="keyplate-e2e/debian:$suite"
if ! docker image inspect "$base" >/dev/null 2>&1; then
  rootfs="$cache/rootfs-$suite"
  if [ ! -e "$rootfs/.complete" ]; then
    log "debootstrap $suite (minbase) from $mirror"
    rm -rf "$rootfs" "$rootfs.tmp"
    step 600 debootstrap --variant=minbase "$suite" "$rootfs.tmp" "$mirror" >"$cache/run/debootstrap.log" 2>&1 ||
      { tail -n 20 "$cache/run/debootstrap.log" >&2; fail "debootstrap failed (its log above)"; }
    rm -rf "$rootfs.tmp"/var/cache/apt/archives/*.deb "$rootfs.tmp"/var/lib/apt/lists/*
    touch "$rootfs.tmp/.complete"
    mv "$rootfs.tmp" "$rootfs"
  fi
  log "docker import $base"
  tar -C "$rootfs" --exclude=./.complete -c . | step 300 docker import - "$base" >/dev/null
fi

node_image="keyplate-e2e/node:$(node -p 'process.versions.node')"
if ! docker image inspect "$node_image" >/dev/null 2>&1; then
  log "building $node_image (this machine's node and npm on $base)"
  context="$cache/node-context"
  rm -rf "$context" && mkdir -p "$context"
  cp "$(readlink -f "$(command -v node)")" "$context/node"
  npm_dir="$(npm root -g)/npm"
  [ -f "$npm_dir/package.json" ] || fail "npm's own package is not at $npm_dir"
  cp -r "$npm_dir" "$context/npm"
  # This machine's extra CA certificates (a TLS-inspecting proxy between it and the npm registry) go in as well.
  extra_ca=""
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    cp "$NODE_EXTRA_CA_CERTS" "$context/extra-ca.crt"
    extra_ca=$'COPY extra-ca.crt /usr/local/share/keyplate-e2e/extra-ca.crt\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/keyplate-e2e/extra-ca.crt'
  fi
  printf '%s\n' "FROM $base" 'COPY node /usr/local/bin/node' 'COPY npm /usr/local/lib/node_modules/npm' ${extra_ca:+"$extra_ca"} \
    'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && node --version && npm --version' >"$context/Dockerfile"
  step 300 docker build -q --force-rm -t "$node_image" "$context" >/dev/null
fi

etcd_image="keyplate-e2e/etcd:$suite"
if ! docker image inspect "$etcd_image" >/dev/null 2>&1; then
  log "building $etcd_image (Debian's etcd-server and etcd-client on $base)"
  printf '%s\n' "FROM $base" \
    'RUN apt-get update && apt-get install -y --no-install-recommends etcd-server etcd-client && rm -rf /var/lib/apt/lists/*' |
    step 600 docker build -q --force-rm --network host -t "$etcd_image" - >/dev/null
fi

# ---- 3. The project's images ------------------------------------------------------------------------------------
build_target() {
  local target="$1"
  log "docker build --target $target"
  step 900 docker build -q --force-rm --network host --build-arg "NODE_IMAGE=$node_image" --build-arg "DEBIAN_IMAGE=$base" \
    --target "$target" -t "keyplate-e2e/$target" . >/dev/null || fail "docker build --target $target failed"
}
for target in keyplate exe demo seed; do build_target "$target"; done
size_mb() { docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.1f MB", $1 / 1e6 }'; }
log "image sizes: keyplate $(size_mb keyplate-e2e/keyplate), exe $(size_mb keyplate-e2e/exe), demo $(size_mb keyplate-e2e/demo) (its base $(size_mb "$base"))"

# ---- 3b. The musl executable on an Alpine-like base --------------------------------------------------------------
# No Alpine image or mirror is reachable: scripts/musl-rootfs.sh builds an Alpine-like root file system from
# Debian's musl, GCC's libstdc++ linked on musl, and busybox-static. The image gets the `exe` stage's
# /keyplate-musl with the one COPY line the README gives Alpine users.
work="$(mktemp -d)"
exe_box="$(docker create keyplate-e2e/exe /keyplate-musl)"
track_container "$exe_box"
docker cp "$exe_box:/keyplate-musl" "$work/keyplate-musl" >/dev/null
rootfs_dir="$(step 600 bash scripts/musl-rootfs.sh "$work/keyplate-musl")" || fail "scripts/musl-rootfs.sh failed"
musl_base="keyplate-e2e/musl-rootfs:$(basename "$rootfs_dir")"
if ! docker image inspect "$musl_base" >/dev/null 2>&1; then
  log "docker import $musl_base ($(head -n 1 "$rootfs_dir/etc/keyplate-rootfs-release" | cut -c1-40)…)"
  tar -C "$rootfs_dir" --exclude=./.complete -c . | step 120 docker import - "$musl_base" >/dev/null
fi
log "docker build keyplate-e2e/musl (the exe stage's /keyplate-musl on $musl_base)"
printf '%s\n' "FROM $musl_base" 'COPY --from=keyplate-e2e/exe /keyplate-musl /usr/local/bin/keyplate' \
  'ENV PATH=/usr/local/bin:/usr/bin:/bin' 'ENTRYPOINT ["keyplate"]' |
  step 300 docker build -q --force-rm -t keyplate-e2e/musl - >/dev/null || fail "docker build of keyplate-e2e/musl failed"
log "musl image: $(size_mb keyplate-e2e/musl) ($(tr '\n' ' ' <"$rootfs_dir/etc/keyplate-rootfs-release" | cut -d: -f2-))"

# ---- 4. Scenarios, for each image -------------------------------------------------------------------------------
# scenario_* IMAGE: what a user does with the image, failing the run with the image named.

scenario_help() {
  local image="$1" out
  log "$image: keyplate --version and --help"
  out="$(step 30 docker run --rm "$image" --version)" || fail "$image: --version exited $?"
  grep -qE '^keyplate [0-9]+\.[0-9]+\.[0-9]+' <<<"$out" || fail "$image: --version printed '$out'"
  out="$(step 30 docker run --rm "$image" --help)" || fail "$image: --help exited $?"
  grep -q -- '--onetime' <<<"$out" || fail "$image: --help does not list --onetime: $out"
}

# The example (Handlebars, check_cmd through the image's /bin/sh), then a confd template (the Go engine).
scenario_onetime() {
  local image="$1" dir
  log "$image: --onetime on templates-example (Handlebars) and on a confd template (Go engine)"
  dir="$work/example-${image##*/}"
  cp -r templates-example "$dir"
  rm -rf "$dir/out" && mkdir -p "$dir/out"
  step 60 docker run --rm -v "$dir:/etc/keyplate" "$image" --onetime --log-level error ||
    fail "$image: --onetime on templates-example exited $?"
  grep -q '^upstream app' "$dir/out/nginx.conf" || fail "$image: out/nginx.conf has no upstream block"
  [ "$(stat -c %a "$dir/out/app.env")" = 600 ] || fail "$image: out/app.env is not mode 0600"
  dir="$work/go-${image##*/}"
  mkdir -p "$dir/conf.d" "$dir/templates" "$dir/out"
  printf '[template]\nsrc = "hosts.tmpl"\ndest = "out/hosts"\nprefix = "/app"\nkeys = ["/upstream"]\n' >"$dir/conf.d/hosts.toml"
  printf '{{range gets "/upstream/*"}}{{base .Key}} {{.Value}}\n{{end}}{{printf "%%05.1f" 3.14159}}\n' >"$dir/templates/hosts.tmpl"
  step 60 docker run --rm -v "$dir:/etc/keyplate" -e APP_UPSTREAM_A=10.0.0.1 -e APP_UPSTREAM_B=10.0.0.2 "$image" \
    --onetime --log-level error || fail "$image: --onetime on the Go template exited $?"
  [ "$(cat "$dir/out/hosts")" = $'a 10.0.0.1\nb 10.0.0.2\n003.1' ] || fail "$image: the Go template rendered '$(cat "$dir/out/hosts")'"
}

# keyplate as PID 1: two orphans per subshell (re-parented to PID 1 when it exits); after they died, count
# zombies, then exit 5, which keyplate must keep.
scenario_pid1() {
  local image="$1" out code
  log "$image: keyplate as PID 1 (and under docker run --init): orphaned grandchildren are reaped, the command's exit code is kept"
  local pid1_script='(sleep 0.2 & sleep 0.3 & exit 0); sleep 1
z=0; for s in /proc/[0-9]*/stat; do set -- $(cat "$s" 2>/dev/null); [ "$3" = Z ] && z=$((z + 1)); done
echo "pid1=$(cat /proc/1/comm) parent=$(cat /proc/$PPID/comm) zombies=$z"; exit 5'
  set +e
  out="$(step 60 docker run --rm -v "$work/example-${image##*/}:/etc/keyplate" "$image" --onetime -- sh -c "$pid1_script" 2>&1)"
  code=$?
  set -e
  [ "$code" = 5 ] || fail "$image: PID 1 run exited $code, expected the command's 5: $out"
  grep -q 'zombies=0' <<<"$out" || fail "$image: zombies left under keyplate as PID 1: $out"
  grep -q 'pid1=keyplate' <<<"$out" || fail "$image: keyplate was not PID 1: $out"
  ! grep -q 'reaper:' <<<"$out" || fail "$image: the reaper did not start: $out"
  # What keyplate's warning advises when it cannot reap: `docker run --init` (tini as PID 1) reaps them instead.
  set +e
  out="$(step 60 docker run --rm --init -v "$work/example-${image##*/}:/etc/keyplate" "$image" --onetime -- sh -c "$pid1_script" 2>&1)"
  code=$?
  set -e
  [ "$code" = 5 ] || fail "$image: docker run --init exited $code, expected the command's 5: $out"
  # Not PID 1, keyplate replaced itself with the command (execve): the command's parent is the init.
  grep -q 'zombies=0' <<<"$out" && ! grep -q 'pid1=keyplate' <<<"$out" && ! grep -q 'parent=keyplate' <<<"$out" ||
    fail "$image: under docker run --init (keyplate should have exec'd the command): $out"
}

scenario_stop() {
  local image="$1" id start elapsed
  log "$image: docker stop: SIGTERM reaches the command, keyplate exits with its code"
  id="$(docker run -d -v "$work/example-${image##*/}:/etc/keyplate" "$image" --onetime -- \
    sh -c 'trap "echo got-TERM; exit 0" TERM; echo ready; while :; do sleep 0.1; done')"
  track_container "$id"
  for _ in $(seq 1 100); do docker logs "$id" 2>&1 | grep -q ready && break; sleep 0.1; done
  start=$SECONDS
  step 30 docker stop -t 10 "$id" >/dev/null
  elapsed=$((SECONDS - start))
  docker logs "$id" 2>&1 | grep -q got-TERM || fail "$image: the command never saw SIGTERM: $(docker logs "$id" 2>&1)"
  [ "$(docker inspect -f '{{.State.ExitCode}}' "$id")" = 0 ] ||
    fail "$image: exit code $(docker inspect -f '{{.State.ExitCode}}' "$id") after docker stop, expected 0"
  [ "$elapsed" -lt 8 ] || fail "$image: docker stop took ${elapsed}s: the container was killed, not stopped"
}

image=keyplate-e2e/keyplate
musl=keyplate-e2e/musl
for each in "$image" "$musl"; do
  scenario_help "$each"
  scenario_onetime "$each"
done

# Start time in a container: `docker run --rm` of the --onetime example against the same run of busybox's `true`
# (the cost of the container itself), medians of 5, interleaved.
median_ms() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ms_of() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(((t1 - t0) / 1000000)); }
true_ms=(); kp_ms=(); musl_ms=()
for _ in 1 2 3 4 5; do
  true_ms+=("$(ms_of docker run --rm --entrypoint true "$image")")
  kp_ms+=("$(ms_of docker run --rm -v "$work/example-keyplate:/etc/keyplate" "$image" --onetime --log-level error)")
  musl_ms+=("$(ms_of docker run --rm -v "$work/example-musl:/etc/keyplate" "$musl" --onetime --log-level error)")
done
log "docker run --rm, median of 5: keyplate --onetime on the example $(printf '%s\n' "${kp_ms[@]}" | median_ms) ms (musl image: $(printf '%s\n' "${musl_ms[@]}" | median_ms) ms), busybox true $(printf '%s\n' "${true_ms[@]}" | median_ms) ms"

for each in "$image" "$musl"; do
  scenario_pid1 "$each"
  scenario_stop "$each"
done

log "the compose demo with docker run: etcd, seed, keyplate + nginx on a user-defined network; a key change reloads nginx"
bridge="kpe2e$$"
net="$(docker network create -o "com.docker.network.bridge.name=$bridge" "$run_id")"
track_network "$net"
# The engine adds no iptables rules (--iptables=false); where the host's FORWARD policy drops bridged packets
# (br_netfilter), let this network's own traffic through for the length of the run.
if command -v iptables >/dev/null && [ "$(iptables -S FORWARD 2>/dev/null | head -n 1)" != '-P FORWARD ACCEPT' ]; then
  iptables -I FORWARD -i "$bridge" -o "$bridge" -j ACCEPT && forward_rule="$bridge"
fi
etcd="$(docker run -d --network "$net" --network-alias etcd "$etcd_image" etcd --name=demo --data-dir=/var/lib/etcd/demo \
  --listen-client-urls=http://0.0.0.0:2379 --advertise-client-urls=http://etcd:2379 \
  --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 \
  --initial-cluster=demo=http://127.0.0.1:2380)"
track_container "$etcd"
for _ in $(seq 1 100); do docker exec "$etcd" etcdctl --endpoints=http://127.0.0.1:2379 endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
docker exec "$etcd" etcdctl --endpoints=http://127.0.0.1:2379 endpoint health >/dev/null 2>&1 || fail "etcd did not become healthy"
demo="$(docker run -d --network "$net" --network-alias demo -e KEYPLATE_LOG_LEVEL=info keyplate-e2e/demo)"
track_container "$demo"
step 60 docker run --rm --network "$net" -e ETCD_ENDPOINT=http://etcd:2379 -e SEED_TIMEOUT_MS=30000 keyplate-e2e/seed >/dev/null ||
  fail "the seeder failed"
# Requests from inside the network: the keyplate image's busybox wget.
fetch() { step 20 docker run --rm --network "$net" --entrypoint sh "$image" -c "for i in 1 2 3 4 5 6; do wget -q -O- $1 || exit 1; done" 2>/dev/null; }
answers=""
for _ in $(seq 1 30); do answers="$(fetch http://demo/ || true)"; grep -q app2 <<<"$answers" && break; sleep 0.5; done
grep -q app1 <<<"$answers" && grep -q app2 <<<"$answers" || fail "nginx did not round-robin app1 and app2: '$answers' $(docker logs "$demo" 2>&1 | tail -n 20)"
step 20 docker run --rm --network "$net" --entrypoint wget "$image" -q -O /dev/null http://demo:9100/healthz || fail "keyplate's /healthz did not answer"
docker exec "$etcd" etcdctl --endpoints=http://127.0.0.1:2379 put /demo/upstream/app3 127.0.0.1:9003 >/dev/null
for _ in $(seq 1 30); do answers="$(fetch http://demo/ || true)"; grep -q app3 <<<"$answers" && break; sleep 0.5; done
grep -q app3 <<<"$answers" || fail "app3 never answered after the key change: '$answers' $(docker logs "$demo" 2>&1 | tail -n 20)"
docker exec "$demo" grep -q '127.0.0.1:9003' /etc/nginx/nginx.conf || fail "nginx.conf lacks app3"
log "demo: keyplate (PID 1) $(docker exec "$demo" grep -E 'VmRSS|RssAnon|RssFile' /proc/1/status | tr -s ' \t\n' ' '), nginx and keyplate together $(docker stats --no-stream --format '{{.MemUsage}}' "$demo" | cut -d/ -f1)"
log "demo: nginx answered app1, app2, then app3 after etcdctl put; keyplate's log:"
docker logs "$demo" 2>&1 | grep -E '^keyplate ' | tail -n 12 >&2

log "$musl: watching etcd on the demo's network (Go template): a put re-renders the file, docker stop ends it with 0"
watch_dir="$work/watch-musl"
mkdir -p "$watch_dir/conf.d" "$watch_dir/templates" "$watch_dir/out"
printf '[template]\nsrc = "hosts.tmpl"\ndest = "out/hosts"\nprefix = "/musl"\nkeys = ["/upstream"]\n' >"$watch_dir/conf.d/hosts.toml"
printf '{{range gets "/upstream/*"}}{{base .Key}} {{.Value}}\n{{end}}' >"$watch_dir/templates/hosts.tmpl"
docker exec "$etcd" etcdctl --endpoints=http://127.0.0.1:2379 put /musl/upstream/a 10.0.0.1 >/dev/null
watcher="$(docker run -d --network "$net" -v "$watch_dir:/etc/keyplate" "$musl" --backend etcd --node http://etcd:2379 --wait-min 20ms)"
track_container "$watcher"
# wait_file FILE EXPECTED WHAT: the file holds EXPECTED within 15 s.
wait_file() {
  for _ in $(seq 1 75); do [ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0; sleep 0.2; done
  fail "$3: $1 holds '$(cat "$1" 2>/dev/null)', expected '$2'; keyplate's log: $(docker logs "$watcher" 2>&1 | tail -n 20)"
}
wait_file "$watch_dir/out/hosts" 'a 10.0.0.1' "$musl: the first render from etcd"
docker exec "$etcd" etcdctl --endpoints=http://127.0.0.1:2379 put /musl/upstream/b 10.0.0.2 >/dev/null
wait_file "$watch_dir/out/hosts" $'a 10.0.0.1\nb 10.0.0.2' "$musl: the re-render after etcdctl put"
log "$musl watching etcd: $(docker exec "$watcher" grep -E 'VmRSS' /proc/1/status | tr -s ' \t' ' ')"
start=$SECONDS
step 30 docker stop -t 10 "$watcher" >/dev/null
[ $((SECONDS - start)) -lt 8 ] || fail "$musl: docker stop of the watcher took $((SECONDS - start))s: it was killed, not stopped"
[ "$(docker inspect -f '{{.State.ExitCode}}' "$watcher")" = 0 ] ||
  fail "$musl: the watcher exited $(docker inspect -f '{{.State.ExitCode}}' "$watcher") after docker stop: $(docker logs "$watcher" 2>&1 | tail -n 20)"
