#!/usr/bin/env bash
# Builds the real programs selkie deploys, from source at the exact versions selkie pins, into
# Docker images tagged with the exact references selkie uses; no image registry is needed, only
# the Go module proxy, crates.io, PyPI and the build host's Debian packages. The Docker tests
# then run against these instead of stand-ins (tests/common/docker.rs leaves an image carrying
# the io.selkie.image.key label alone). An image that is not the official one in every respect
# (Hatchet without its dashboard, Debian's Postgres and Redis, the apps' stand-ins) is tagged
# selkie-lab/..., and the lab names it with `selkie setup --image SERVICE=REF`.
#
#   livekit/livekit-server:v1.13.5   github.com/livekit/livekit-server ./cmd/server, CGO off;
#                                    /livekit-server as ENTRYPOINT, busybox and CA certificates
#                                    as in the official alpine-based image
#   caddy:2.10.2                     github.com/caddyserver/caddy/v2 with the standard modules
#                                    (tests/images/caddy), laid out as the official image
#   livekit/caddyl4:v2.11.4          Caddy + github.com/mholt/caddy-l4 (tests/images/caddy-l4),
#                                    ENTRYPOINT ["caddy"]
#   selkie-lab/pebble:v2.10.3        Let's Encrypt's Pebble ACME server and pebble-challtestsrv
#                                    (also left as plain binaries, with Pebble's test/ folder)
#   dxflrs/garage:v2.5.0             crates.io `garage` (cargo install --locked), /garage with the
#                                    libraries ldd names, CMD ["/garage", "server"]
#   selkie-lab/pocketbase:v0.36.8    github.com/pocketbase/pocketbase with its standard commands
#                                    (tests/images/pocketbase), laid out as PocketBase's documented
#                                    Dockerfile: /pb/pocketbase, no ENTRYPOINT (Hearth's app image
#                                    is the operator's own; the lab gives this one with --image)
#   selkie-lab/hatchet-lite:v0.104.7 github.com/hatchet-dev/hatchet: hatchet-lite, hatchet-admin
#                                    and hatchet-migrate laid out as the official hatchet-lite
#                                    (./entrypoint.sh: migrate, quickstart config in /config,
#                                    engine + API on 8888, gRPC); without the dashboard's Node
#                                    frontend, hence not the official tag (the lab uses --image)
#   tailscale/tailscale:v1.102.5     tailscale.com cmd/tailscaled, cmd/tailscale and
#                                    cmd/containerboot (ENTRYPOINT), build tags as the official
#                                    image; v1.102.5 because v1.104 needs Go 1.27
#   selkie-lab/postgres:15.x-debian12 and selkie-lab/redis:7.0.x-debian12
#                                    Debian's own binaries from the build host's packages, with
#                                    their libraries, behind an entrypoint doing what the
#                                    official images do for what selkie passes (POSTGRES_*,
#                                    /docker-entrypoint-initdb.d; protected mode off); tagged by
#                                    the Debian version, not the preset's pins (17, 7.4)
#   selkie-lab/reflector-frontend:standin, selkie-lab/reflector-backend:standin,
#   selkie-lab/xr-hub:standin        stand-ins for the operators' own apps (tests/images/appstandin):
#                                    the seeds' ports and health paths, the hub's HTTPS with a
#                                    self-signed certificate and its wss:// /rtc proxy to LiveKit
#   a Debian 12 root (tarball)       debootstrap --variant=minbase bookworm from the mirror the
#                                    build host's apt uses: no Docker, no systemd; where
#                                    tests/docker_install.rs lets selkie install Docker with apt
#   selkie-lab/debian-systemd:12     that root with systemd (PID 1 of the container), D-Bus, netbase,
#                                    nftables and firewalld added by apt in a chroot, imported:
#                                    tests/systemd_host.rs applies a firewall where systemd runs
#   a Python venv                    PyPI's livekit (the real WebRTC client, native libwebrtc),
#                                    livekit-api, and aiortc (a second WebRTC stack, for TURN/TLS
#                                    media with the lab's private CA)
#
# Everything is cached under $SELKIE_IMAGE_CACHE (default /var/cache/selkie-images), keyed by
# name, version and a hash of what it is built from: Go binaries as files, the Go module and
# build caches, the venv. An image whose io.selkie.image.key label matches is not rebuilt, so a
# second run takes seconds. The paths the lab needs are written to $SELKIE_IMAGE_CACHE/paths.env
# (shell syntax) and printed.
#
# Usage: tests/images/build.sh [--load-into SOCKET]... [--no-python]
#   --load-into SOCKET  also load every image into the Docker daemon listening on SOCKET (a path
#                       or unix:// URL), unless it already has it; the same as
#                       `docker save REF | docker -H unix://SOCKET load`
#   --no-python         skip the Python client venv
# The images are built by the daemon the docker CLI talks to: DOCKER_HOST is honoured.
# Needs: Go (>= 1.26; /usr/local/go/bin/go is used when `go` is not on PATH), docker, python3
# with venv, Debian's busybox-static, ca-certificates, postgresql, redis-server and debootstrap,
# sha256sum, flock.
# livekit-cli (`lk`) is not built: the Go proxy here refuses github.com/livekit/livekit-cli.
set -euo pipefail

LIVEKIT_VERSION=v1.13.5
CADDY_VERSION=v2.10.2
CADDY_L4_CADDY_VERSION=v2.11.4
# The caddy-l4 release whose go.mod requires exactly Caddy v2.11.4 (tests/images/caddy-l4/go.mod).
CADDY_L4_VERSION=v0.1.2
PEBBLE_VERSION=${SELKIE_PEBBLE_VERSION:-v2.10.3}
# Garage's crate (crates.io `garage`); its upstream forge is git.deuxfleurs.fr.
GARAGE_VERSION=v2.5.0
# v0.40.4 is newer but requires Go 1.27; this is the newest the Go above builds.
POCKETBASE_VERSION=v0.36.8
# hatchet-lite's programs (github.com/hatchet-dev/hatchet, the newest release); the web dashboard
# is a Node build and is not made here (see the image below).
HATCHET_VERSION=v0.104.7
# tailscale.com: v1.104.x (the newest) requires Go 1.27; this is the newest the Go above builds.
TAILSCALE_VERSION=v1.102.5
# As the official image's build (build_docker.sh): Kubernetes and container support compiled in.
TAILSCALE_TAGS=ts_kube,ts_package_container
PY_LIVEKIT_VERSION=1.2.1
PY_LIVEKIT_API_VERSION=1.2.2
# aiortc: a second, pure-Python WebRTC stack whose TURN client trusts SSL_CERT_FILE (libwebrtc's
# trusts only its compiled-in roots), for media over TURN/TLS with the lab's private CA.
PY_AIORTC_VERSION=1.16.0

LIVEKIT_TAG=livekit/livekit-server:$LIVEKIT_VERSION
CADDY_TAG=caddy:${CADDY_VERSION#v}
CADDY_L4_TAG=livekit/caddyl4:$CADDY_L4_CADDY_VERSION
PEBBLE_TAG=selkie-lab/pebble:$PEBBLE_VERSION
GARAGE_TAG=dxflrs/garage:$GARAGE_VERSION
POCKETBASE_TAG=selkie-lab/pocketbase:$POCKETBASE_VERSION
# Not tagged as the official hatchet-lite: this one has no web dashboard (see above).
HATCHET_TAG=selkie-lab/hatchet-lite:$HATCHET_VERSION
TAILSCALE_TAG=tailscale/tailscale:$TAILSCALE_VERSION
# The apps that are the operator's own: stand-ins (tests/images/appstandin).
FRONTEND_STANDIN_TAG=selkie-lab/reflector-frontend:standin
BACKEND_STANDIN_TAG=selkie-lab/reflector-backend:standin
HUB_STANDIN_TAG=selkie-lab/xr-hub:standin
KEY_LABEL=io.selkie.image.key

BUSYBOX=/bin/busybox
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
# Flags of every Go build (and -ldflags, below); part of every binary's key.
GO_BUILD_FLAGS=(-trimpath)
GO_LDFLAGS="-s -w"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${SELKIE_IMAGE_CACHE:-/var/cache/selkie-images}
load_into=()
python=1

die() {
    echo "build.sh: $*" >&2
    exit 1
}

while [ "$#" -gt 0 ]; do
    case "$1" in
        --load-into)
            [ "$#" -ge 2 ] || die "--load-into needs a socket path"
            load_into+=("$2")
            shift 2
            ;;
        --load-into=*)
            load_into+=("${1#--load-into=}")
            shift
            ;;
        --no-python)
            python=0
            shift
            ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done

# --- environment -----------------------------------------------------------------------------

if ! command -v go >/dev/null 2>&1; then
    [ -x /usr/local/go/bin/go ] || die "Go is missing: install Go 1.26 or newer (https://go.dev/dl/)"
    PATH=/usr/local/go/bin:$PATH
fi
command -v docker >/dev/null 2>&1 || die "the docker CLI is missing (apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "no Docker daemon answers \`docker info\` (DOCKER_HOST=${DOCKER_HOST:-unset})"
[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing (apt-get install busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked, and the images have no libraries (apt-get install busybox-static)"
fi
[ -f "$CA_BUNDLE" ] || die "$CA_BUNDLE is missing (apt-get install ca-certificates)"

mkdir -p "$cache/bin"
cache=$(cd "$cache" && pwd)
# One build at a time per cache: two would race on the same key directories and images.
exec 9>"$cache/.lock"
if ! flock -n 9; then
    echo "waiting for another build.sh using $cache"
    flock 9
fi

export GOPATH=$cache/go
export GOMODCACHE=$cache/go/pkg/mod
export GOCACHE=$cache/go/build-cache
export GOBIN=
# Never fetch another Go toolchain: the versions above build with Go 1.26.
export GOTOOLCHAIN=local
# A writable module cache can be deleted with rm -r.
export GOFLAGS="-modcacherw -buildvcs=false"
export CGO_ENABLED=0
go_version=$(go env GOVERSION)
case "$go_version" in
    go1.2[6-9]* | go1.[3-9][0-9]* | go[2-9]*) ;;
    *) die "$(command -v go) is $go_version; LiveKit $LIVEKIT_VERSION needs Go 1.26 or newer" ;;
esac

# Left by a run that was killed (the lock is ours, so no other run is using them).
rm -rf "$cache"/tmp.*
work=$(mktemp -d "$cache/tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT

start_all=$EPOCHREALTIME
timings=()

# `elapsed START`: seconds since START (an $EPOCHREALTIME), one decimal.
elapsed() {
    awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# `timed LABEL`: records how long the step begun at $step_start took.
timed() {
    local secs
    secs=$(elapsed "$step_start")
    timings+=("$(printf '%-44s %7s s' "$1" "$secs")")
    echo "built $1 in $secs s"
}

# `key NAME VERSION [FILE|=STRING]...`: NAME-VERSION-HASH, the hash of the given files' contents
# and strings.
key() {
    local name=$1 version=$2 arg
    shift 2
    {
        for arg in "$@"; do
            case "$arg" in
                =*) printf '%s\n' "${arg#=}" ;;
                *) printf '%s %s\n' "${arg##*/}" "$(sha256sum <"$arg" | cut -d' ' -f1)" ;;
            esac
        done
    } | sha256sum | cut -c 1-16 | sed "s/^/$name-$version-/"
}

# --- Go binaries -----------------------------------------------------------------------------

# `go_key NAME VERSION [FILE|=STRING]...`: a `key` that also covers the Go version and flags.
go_key() {
    key "$1" "$2" "=$go_version ${GO_BUILD_FLAGS[*]} $GO_LDFLAGS CGO_ENABLED=$CGO_ENABLED" "${@:3}"
}

# `go_install DEST LDFLAGS PACKAGE@VERSION...`: `go install` into the directory DEST (made
# atomically), with "$GO_LDFLAGS LDFLAGS" as linker flags.
go_install() {
    local dest=$1 ldflags="$GO_LDFLAGS $2" tmp
    shift 2
    tmp=$(mktemp -d "$work/bin.XXXXXX")
    echo "go install $*"
    GOBIN=$tmp nice -n 10 go install "${GO_BUILD_FLAGS[@]}" -ldflags="$ldflags" "$@"
    mkdir -p "$(dirname "$dest")"
    mv "$tmp" "$dest"
}

# `go_build_main DEST DIR OUTPUT`: builds the main package in our own module DIR into DEST/OUTPUT.
go_build_main() {
    local dest=$1 dir=$2 out=$3 tmp
    tmp=$(mktemp -d "$work/bin.XXXXXX")
    echo "go build ($dir)"
    (cd "$dir" && nice -n 10 go build -mod=readonly "${GO_BUILD_FLAGS[@]}" -ldflags="$GO_LDFLAGS" -o "$tmp/$out" .)
    mkdir -p "$(dirname "$dest")"
    mv "$tmp" "$dest"
}

livekit_key=$(go_key livekit-server "$LIVEKIT_VERSION" "=github.com/livekit/livekit-server/cmd/server")
livekit_dir=$cache/bin/$livekit_key
if [ ! -x "$livekit_dir/livekit-server" ]; then
    step_start=$EPOCHREALTIME
    go_install "$work/livekit" "" "github.com/livekit/livekit-server/cmd/server@$LIVEKIT_VERSION"
    mv "$work/livekit/server" "$work/livekit/livekit-server"
    mv "$work/livekit" "$livekit_dir"
    timed "go: livekit-server $LIVEKIT_VERSION"
fi

caddy_key=$(go_key caddy "$CADDY_VERSION" "$here/caddy/main.go" "$here/caddy/go.mod" "$here/caddy/go.sum")
caddy_dir=$cache/bin/$caddy_key
if [ ! -x "$caddy_dir/caddy" ]; then
    step_start=$EPOCHREALTIME
    go_build_main "$caddy_dir" "$here/caddy" caddy
    timed "go: caddy $CADDY_VERSION"
fi

caddy_l4_key=$(go_key caddy-l4 "$CADDY_L4_CADDY_VERSION-l4-$CADDY_L4_VERSION" \
    "$here/caddy-l4/main.go" "$here/caddy-l4/go.mod" "$here/caddy-l4/go.sum")
caddy_l4_dir=$cache/bin/$caddy_l4_key
if [ ! -x "$caddy_l4_dir/caddy" ]; then
    step_start=$EPOCHREALTIME
    go_build_main "$caddy_l4_dir" "$here/caddy-l4" caddy
    timed "go: caddy $CADDY_L4_CADDY_VERSION + caddy-l4 $CADDY_L4_VERSION"
fi

# As Pebble's release build, which sets the version `pebble -version` prints.
pebble_ldflags="-X main.version=$PEBBLE_VERSION"
pebble_key=$(go_key pebble "$PEBBLE_VERSION" "=cmd/pebble cmd/pebble-challtestsrv test/ $pebble_ldflags")
pebble_dir=$cache/bin/$pebble_key
if [ ! -x "$pebble_dir/pebble" ] || [ ! -x "$pebble_dir/pebble-challtestsrv" ]; then
    step_start=$EPOCHREALTIME
    go_install "$work/pebble" "$pebble_ldflags" \
        "github.com/letsencrypt/pebble/v2/cmd/pebble@$PEBBLE_VERSION" \
        "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@$PEBBLE_VERSION"
    # Pebble's test/ folder: its config and the certificate its HTTPS API serves.
    src=$(go mod download -json "github.com/letsencrypt/pebble/v2@$PEBBLE_VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -d "$src/test" ] || die "pebble $PEBBLE_VERSION: no test/ folder in the module ($src)"
    cp -r "$src/test" "$work/pebble/test"
    mv "$work/pebble" "$pebble_dir"
    timed "go: pebble + pebble-challtestsrv $PEBBLE_VERSION"
fi

pocketbase_key=$(go_key pocketbase "$POCKETBASE_VERSION" \
    "$here/pocketbase/main.go" "$here/pocketbase/go.mod" "$here/pocketbase/go.sum")
pocketbase_dir=$cache/bin/$pocketbase_key
if [ ! -x "$pocketbase_dir/pocketbase" ]; then
    step_start=$EPOCHREALTIME
    go_build_main "$pocketbase_dir" "$here/pocketbase" pocketbase
    timed "go: pocketbase $POCKETBASE_VERSION"
fi

# hatchet-lite's three programs, as the official images build them (with the version in
# main.Version), as tools of our own module (tests/images/hatchet/go.mod says why).
hatchet_ldflags="-X main.Version=$HATCHET_VERSION"
hatchet_key=$(go_key hatchet "$HATCHET_VERSION" "$here/hatchet/go.mod" "$here/hatchet/go.sum" "=$hatchet_ldflags")
hatchet_dir=$cache/bin/$hatchet_key
if [ ! -x "$hatchet_dir/hatchet-lite" ] || [ ! -x "$hatchet_dir/hatchet-admin" ] || [ ! -x "$hatchet_dir/hatchet-migrate" ]; then
    step_start=$EPOCHREALTIME
    tmp=$(mktemp -d "$work/bin.XXXXXX")
    echo "go build (hatchet $HATCHET_VERSION)"
    (cd "$here/hatchet" && nice -n 10 go build -mod=readonly "${GO_BUILD_FLAGS[@]}" \
        -ldflags="$GO_LDFLAGS $hatchet_ldflags" -o "$tmp/" \
        github.com/hatchet-dev/hatchet/cmd/hatchet-lite \
        github.com/hatchet-dev/hatchet/cmd/hatchet-admin \
        github.com/hatchet-dev/hatchet/cmd/hatchet-migrate)
    mv "$tmp" "$hatchet_dir"
    timed "go: hatchet-lite, -admin, -migrate $HATCHET_VERSION"
fi

# Tailscale as its official image: tailscaled, tailscale and containerboot, with the build tags
# and version stamps of build_docker.sh.
tailscale_ldflags="-X tailscale.com/version.longStamp=${TAILSCALE_VERSION#v} -X tailscale.com/version.shortStamp=${TAILSCALE_VERSION#v}"
tailscale_key=$(go_key tailscale "$TAILSCALE_VERSION" "=cmd/tailscaled cmd/tailscale cmd/containerboot $TAILSCALE_TAGS $tailscale_ldflags")
tailscale_dir=$cache/bin/$tailscale_key
if [ ! -x "$tailscale_dir/tailscaled" ] || [ ! -x "$tailscale_dir/tailscale" ] || [ ! -x "$tailscale_dir/containerboot" ]; then
    step_start=$EPOCHREALTIME
    GOFLAGS="$GOFLAGS -tags=$TAILSCALE_TAGS" go_install "$work/tailscale" "$tailscale_ldflags" \
        "tailscale.com/cmd/tailscaled@$TAILSCALE_VERSION" \
        "tailscale.com/cmd/tailscale@$TAILSCALE_VERSION" \
        "tailscale.com/cmd/containerboot@$TAILSCALE_VERSION"
    mv "$work/tailscale" "$tailscale_dir"
    timed "go: tailscaled, tailscale, containerboot $TAILSCALE_VERSION"
fi

appstandin_key=$(go_key appstandin v1 "$here/appstandin/main.go" "$here/appstandin/go.mod")
appstandin_dir=$cache/bin/$appstandin_key
if [ ! -x "$appstandin_dir/appstandin" ]; then
    step_start=$EPOCHREALTIME
    go_build_main "$appstandin_dir" "$here/appstandin" appstandin
    timed "go: appstandin (the apps' stand-ins)"
fi

# --- Rust binaries ---------------------------------------------------------------------------

# `cargo_key NAME VERSION [FILE|=STRING]...`: a `key` that also covers the Rust toolchain.
cargo_key() {
    key "$1" "$2" "=$(rustc --version) --locked" "${@:3}"
}

# `cargo_install DEST CRATE VERSION`: `cargo install --locked` of a crate from crates.io into
# the directory DEST (made atomically); the build directory is kept in the cache, so a rebuild
# after an interrupted run resumes.
cargo_install() {
    local dest=$1 crate=$2 version=$3 tmp
    tmp=$(mktemp -d "$work/bin.XXXXXX")
    echo "cargo install $crate@$version"
    CARGO_TARGET_DIR=$cache/cargo-target/$crate nice -n 10 \
        cargo install --quiet --locked --root "$tmp" "$crate" --version "$version"
    mkdir -p "$(dirname "$dest")"
    mv "$tmp/bin" "$dest"
    rm -rf "$tmp"
}

command -v cargo >/dev/null 2>&1 || die "cargo is missing (https://rustup.rs)"
garage_key=$(cargo_key garage "$GARAGE_VERSION" "=crates.io garage default features")
garage_dir=$cache/bin/$garage_key
if [ ! -x "$garage_dir/garage" ]; then
    step_start=$EPOCHREALTIME
    cargo_install "$work/garage" garage "${GARAGE_VERSION#v}"
    mv "$work/garage" "$garage_dir"
    rm -rf "$cache/cargo-target/garage"
    timed "cargo: garage $GARAGE_VERSION"
fi

# --- images ----------------------------------------------------------------------------------

# `label TAG [DOCKER ARGS]`: the image's io.selkie.image.key label, empty without one.
label() {
    local tag=$1
    shift
    docker "$@" image inspect --format "{{index .Config.Labels \"$KEY_LABEL\"}}" "$tag" 2>/dev/null || true
}

# `image TAG KEY`: builds TAG from the context $ctx (Dockerfile and rootfs/, made by the caller
# after `new_context`) unless TAG already carries KEY. The key covers the context's files.
image() {
    local tag=$1 key=$2 old
    old=$(label "$tag")
    if [ "$old" = "$key" ]; then
        return
    fi
    step_start=$EPOCHREALTIME
    local old_id
    old_id=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
    # Its output only matters when it fails (the legacy builder warns of its deprecation).
    if ! docker build --quiet --tag "$tag" --label "$KEY_LABEL=$key" "$ctx" >"$work/docker-build.log" 2>&1; then
        cat "$work/docker-build.log" >&2
        die "docker build of $tag failed"
    fi
    # A real image from older inputs is no longer needed (a stand-in keeps its selkie-test tag).
    if [ -n "$old" ] && [ -n "$old_id" ]; then
        docker image rm "$old_id" >/dev/null 2>&1 || true
    fi
    timed "docker: $tag"
}

# `new_context`: a fresh build context in $ctx with busybox and the CA bundle in rootfs/.
new_context() {
    ctx=$(mktemp -d "$work/ctx.XXXXXX")
    mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/etc/ssl/certs" "$ctx/rootfs/tmp" "$ctx/rootfs/root"
    cp "$BUSYBOX" "$ctx/rootfs/bin/busybox"
    cp "$CA_BUNDLE" "$ctx/rootfs/etc/ssl/certs/ca-certificates.crt"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ctx/rootfs/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$ctx/rootfs/etc/group"
}

# `put FILE DEST`: FILE into the context at rootfs/DEST (a hard link where the cache allows).
put() {
    mkdir -p "$(dirname "$ctx/rootfs/$2")"
    ln "$1" "$ctx/rootfs/$2" 2>/dev/null || cp "$1" "$ctx/rootfs/$2"
}

# `context_key BINARY_KEY`: BINARY_KEY with a hash of the context (Dockerfile, busybox, CA
# bundle, small files); the binaries themselves are named by BINARY_KEY.
context_key() {
    local h
    h=$(cd "$ctx" && find . -type f -size -4M -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c 1-12)
    echo "$1-$h"
}

# `put_libs BINARY`: the shared libraries `ldd` names for BINARY (the program interpreter
# included) into the context at their own paths; nothing for a static binary.
put_libs() {
    local lib
    for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
        [ -e "$ctx/rootfs$lib" ] && continue
        mkdir -p "$(dirname "$ctx/rootfs$lib")"
        cp -L "$lib" "$ctx/rootfs$lib"
    done
}

# The common part of every Dockerfile: a shell and wget as the alpine-based images have.
base_dockerfile='FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN chmod 1777 /tmp && chmod 0700 /root
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

# LiveKit, laid out as its official image: the binary at /, run as its own entrypoint, so
# selkie's `--config /etc/livekit/livekit.yaml` is the whole command.
new_context
put "$livekit_dir/livekit-server" livekit-server
cat >"$ctx/Dockerfile" <<EOF
$base_dockerfile
ENTRYPOINT ["/livekit-server"]
EOF
image "$LIVEKIT_TAG" "$(context_key "$livekit_key")"

# Caddy, laid out as the official image (which selkie gives `caddy run --config
# /etc/caddy/Caddyfile --adapter caddyfile`), with its default Caddyfile and page.
caddy_context() {
    new_context
    put "$1" usr/bin/caddy
    mkdir -p "$ctx/rootfs/config/caddy" "$ctx/rootfs/data/caddy" "$ctx/rootfs/etc/caddy" \
        "$ctx/rootfs/usr/share/caddy" "$ctx/rootfs/srv"
    printf ':80 {\n\troot * /usr/share/caddy\n\tfile_server\n}\n' >"$ctx/rootfs/etc/caddy/Caddyfile"
    printf '<!DOCTYPE html>\n<title>Caddy works!</title>\n<p>Caddy works!</p>\n' \
        >"$ctx/rootfs/usr/share/caddy/index.html"
}
caddy_dockerfile="$base_dockerfile
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data HOME=/root
WORKDIR /srv
EXPOSE 80 443 443/udp 2019"

caddy_context "$caddy_dir/caddy"
cat >"$ctx/Dockerfile" <<EOF
$caddy_dockerfile
ENV CADDY_VERSION=$CADDY_VERSION
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
EOF
image "$CADDY_TAG" "$(context_key "$caddy_key")"

# livekit/caddyl4: the entrypoint is caddy itself; selkie's command is `run --config
# /etc/caddy/caddy.json`.
caddy_context "$caddy_l4_dir/caddy"
cat >"$ctx/Dockerfile" <<EOF
$caddy_dockerfile
ENV CADDY_VERSION=$CADDY_L4_CADDY_VERSION
ENTRYPOINT ["caddy"]
CMD ["run", "--config", "/etc/caddy/caddy.json"]
EOF
image "$CADDY_L4_TAG" "$(context_key "$caddy_l4_key")"

# Pebble as its official image lays it out (the binary as /app, its test/ folder at /test, whose
# config names files relative to /), with pebble-challtestsrv beside it in /usr/bin:
# `docker run --entrypoint pebble-challtestsrv ...`.
new_context
put "$pebble_dir/pebble" usr/bin/pebble
put "$pebble_dir/pebble-challtestsrv" usr/bin/pebble-challtestsrv
cp -r "$pebble_dir/test" "$ctx/rootfs/test"
cat >"$ctx/Dockerfile" <<EOF
$base_dockerfile
WORKDIR /
EXPOSE 14000 15000
RUN ln -s /usr/bin/pebble /app
ENTRYPOINT ["/usr/bin/pebble"]
CMD ["-config", "/test/config/pebble-config.json"]
EOF
image "$PEBBLE_TAG" "$(context_key "$pebble_key")"

# Garage as its official image: the binary at /garage, `CMD ["/garage", "server"]`; the config
# file comes from the deployment (GARAGE_CONFIG_FILE). The official build is static (musl); this
# one is glibc, with the libraries it needs beside it.
new_context
put "$garage_dir/garage" garage
put_libs "$garage_dir/garage"
cat >"$ctx/Dockerfile" <<EOF
$base_dockerfile
ENV RUST_BACKTRACE=1 RUST_LOG=garage=info
EXPOSE 3900 3901 3902 3903
CMD ["/garage", "server"]
EOF
image "$GARAGE_TAG" "$(context_key "$garage_key")"

# PocketBase as its documented production Dockerfile: no ENTRYPOINT, so selkie's Hearth
# command names the binary by its path.
new_context
put "$pocketbase_dir/pocketbase" pb/pocketbase
mkdir -p "$ctx/rootfs/pb/pb_data"
cat >"$ctx/Dockerfile" <<EOF
$base_dockerfile
EXPOSE 8080
CMD ["/pb/pocketbase", "serve", "--http=0.0.0.0:8080"]
EOF
image "$POCKETBASE_TAG" "$(context_key "$pocketbase_key")"

# hatchet-lite as its official image lays it out (build/package/lite.dockerfile upstream): the
# three programs and ./entrypoint.sh in /, which migrates, writes the config (keys included) to
# ./config once, then runs hatchet-lite: engine (gRPC), API and dashboard behind one HTTP port.
# The dashboard's files are a Node build that is not made here: /static-assets holds one page
# saying so, and the API under /api works. Not tagged as the official image for that reason.
new_context
for prog in hatchet-lite hatchet-admin hatchet-migrate; do
    put "$hatchet_dir/$prog" "$prog"
done
mkdir -p "$ctx/rootfs/static-assets" "$ctx/rootfs/config"
printf '<!DOCTYPE html>\n<title>Hatchet</title>\n<p>Hatchet %s API (built by selkie'"'"'s tests/images/build.sh without the dashboard frontend)</p>\n' \
    "$HATCHET_VERSION" >"$ctx/rootfs/static-assets/index.html"
cp -r /usr/share/zoneinfo "$ctx/rootfs/usr/share/zoneinfo" 2>/dev/null || {
    mkdir -p "$ctx/rootfs/usr/share"
    cp -r /usr/share/zoneinfo "$ctx/rootfs/usr/share/zoneinfo"
}
cat >"$ctx/rootfs/entrypoint.sh" <<'EOF'
#!/bin/sh
# hatchet-lite's start sequence (selkie's lab image): migrate, write the config once, run.
./hatchet-migrate || { echo "Migration script failed. Exiting..."; exit 1; }
./hatchet-admin quickstart --skip certs --generated-config-dir ./config --overwrite=false
exec ./hatchet-lite --config ./config
EOF
chmod 0755 "$ctx/rootfs/entrypoint.sh"
cat >"$ctx/Dockerfile" <<EOF
$base_dockerfile
ENV LITE_STATIC_ASSET_DIR=/static-assets LITE_FRONTEND_BASE_PATH=/ LITE_FRONTEND_PORT=8081 LITE_RUNTIME_PORT=8888
WORKDIR /
EXPOSE 8888 7070
CMD ["./entrypoint.sh"]
EOF
image "$HATCHET_TAG" "$(context_key "$hatchet_key")"

# Tailscale as its official image: the programs in /usr/local/bin, containerboot as ENTRYPOINT
# (configured by TS_* variables), /tailscale/run.sh for older setups. The official image adds
# alpine's iptables; without it tailscaled manages its firewall rules through nftables.
new_context
for prog in tailscaled tailscale containerboot; do
    put "$tailscale_dir/$prog" "usr/local/bin/$prog"
done
mkdir -p "$ctx/rootfs/tailscale"
ln -s /usr/local/bin/containerboot "$ctx/rootfs/tailscale/run.sh"
cat >"$ctx/Dockerfile" <<EOF
$base_dockerfile
ENTRYPOINT ["/usr/local/bin/containerboot"]
EOF
image "$TAILSCALE_TAG" "$(context_key "$tailscale_key")"

# The stand-ins for the apps that are the operator's own: one program, one image per app.
for standin in "$FRONTEND_STANDIN_TAG reflector-frontend 3000" \
    "$BACKEND_STANDIN_TAG reflector-backend 1250" "$HUB_STANDIN_TAG xr-hub 8080 48322"; do
    read -r tag mode ports <<<"$standin"
    new_context
    put "$appstandin_dir/appstandin" appstandin
    cat >"$ctx/Dockerfile" <<EOF
$base_dockerfile
ENV HOME=/root
EXPOSE $ports
CMD ["/appstandin", "$mode"]
EOF
    image "$tag" "$(context_key "$appstandin_key")"
done

# --- a Debian root without Docker ------------------------------------------------------------

# Debian 12 as debootstrap lays it (minbase: apt, no init system, no Docker), as a tarball:
# tests/docker_install.rs unpacks it, enters it with namespaces of its own and lets
# `selkie setup --install-docker` install Docker there with apt, as on a fresh server. The
# mirror is the one the build host's apt uses; it is not part of the key (any mirror serves
# the same suite).
DEBIAN_ROOT_VERSION=12
DEBIAN_ROOT_SUITE=bookworm
DEBIAN_ROOT_VARIANT=minbase
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing (apt-get install debootstrap)"
debian_mirror=$(sed -n 's/^URIs: *\(http[^ ]*\/debian\)\/\{0,1\}$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
debian_mirror=${debian_mirror:-http://deb.debian.org/debian}
debian_root_key=$(key debian-root "$DEBIAN_ROOT_VERSION-$DEBIAN_ROOT_SUITE" \
    "=$DEBIAN_ROOT_VARIANT $(dpkg-query -W -f '${Version}' debootstrap 2>/dev/null)")
debian_root=$cache/rootfs/$debian_root_key.tar.gz
if [ ! -f "$debian_root" ]; then
    step_start=$EPOCHREALTIME
    echo "debootstrap $DEBIAN_ROOT_SUITE ($debian_mirror)"
    nice -n 10 debootstrap --variant="$DEBIAN_ROOT_VARIANT" "$DEBIAN_ROOT_SUITE" "$work/debian-root" \
        "$debian_mirror" >"$work/debootstrap.log" 2>&1 || {
        tail -n 20 "$work/debootstrap.log" >&2
        die "debootstrap of Debian $DEBIAN_ROOT_SUITE from $debian_mirror failed (its last lines are above)"
    }
    # Without the downloaded packages and lists: the first `apt-get update` fetches them anew.
    rm -rf "$work/debian-root/var/cache/apt/archives/"*.deb "$work/debian-root/var/lib/apt/lists/"*_Packages
    mkdir -p "$cache/rootfs"
    tar -C "$work/debian-root" --numeric-owner -czf "$work/debian-root.tar.gz" .
    rm -rf "$work/debian-root"
    mv "$work/debian-root.tar.gz" "$debian_root"
    timed "debootstrap: Debian $DEBIAN_ROOT_VERSION ($DEBIAN_ROOT_SUITE, $DEBIAN_ROOT_VARIANT)"
fi

# --- Debian with systemd as its init -----------------------------------------------------------

# The Debian root above, with systemd, D-Bus, nftables, firewalld and iproute2 added by apt in a
# chroot, imported as an image whose command is systemd: tests/systemd_host.rs boots it (systemd
# as the container's PID 1) and lets selkie apply a host firewall where systemd runs the
# machine: the revert's transient timer (systemd-run), its cancel (systemctl stop) and the
# firewalld script's `systemctl enable firewalld`. Tagged with its key, like every image here.
SYSTEMD_TAG=selkie-lab/debian-systemd:12
SYSTEMD_PACKAGES="systemd systemd-sysv dbus netbase nftables iproute2 firewalld"
systemd_key=$(key debian-systemd "$DEBIAN_ROOT_VERSION" "=$debian_root_key $SYSTEMD_PACKAGES")
if [ "$(label "$SYSTEMD_TAG")" != "$systemd_key" ]; then
    step_start=$EPOCHREALTIME
    systemd_root=$work/systemd-root
    mkdir -p "$systemd_root"
    tar -C "$systemd_root" -xzf "$debian_root"
    cp /etc/resolv.conf "$systemd_root/etc/resolv.conf"
    mount --bind /proc "$systemd_root/proc"
    # shellcheck disable=SC2086 # the package list is words
    if ! chroot "$systemd_root" /bin/sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends $SYSTEMD_PACKAGES" >"$work/systemd-apt.log" 2>&1; then
        umount "$systemd_root/proc"
        tail -n 20 "$work/systemd-apt.log" >&2
        die "apt could not add systemd to the Debian root (its last lines are above)"
    fi
    umount "$systemd_root/proc"
    rm -rf "$systemd_root/var/cache/apt/archives/"*.deb "$systemd_root/var/lib/apt/lists/"*_Packages
    : >"$systemd_root/etc/resolv.conf"
    tar -C "$systemd_root" --numeric-owner -c . |
        docker import --change "LABEL $KEY_LABEL=$systemd_key" --change 'CMD ["/sbin/init"]' \
            - "$SYSTEMD_TAG" >/dev/null || die "docker import of $SYSTEMD_TAG failed"
    rm -rf "$systemd_root"
    timed "docker: $SYSTEMD_TAG (Debian $DEBIAN_ROOT_VERSION with systemd)"
fi

# --- Postgres and Redis from Debian's packages ------------------------------------------------

# The build host's own Debian binaries (no source build): copied with the libraries they need
# into images laid out as the official ones for what selkie passes them. Tagged by the Debian
# version they are, which need not be the preset's pin (postgres:17.6-alpine and
# redis:7.4.5-alpine; Debian 12 has PostgreSQL 15 and Redis 7.0): the lab names them with
# --image.
debian=debian$(sed -n 's/^VERSION_ID="\{0,1\}\([0-9.]*\)"\{0,1\}$/\1/p' /etc/os-release)
pg_major=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)
if [ -z "$pg_major" ] || [ ! -x "/usr/lib/postgresql/$pg_major/bin/postgres" ]; then
    die "Debian's PostgreSQL is missing (apt-get install postgresql)"
fi
pg_version=$(dpkg-query -W -f '${Version}' "postgresql-$pg_major")
POSTGRES_TAG=selkie-lab/postgres:${pg_version%%-*}-$debian
if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    die "Debian's Redis is missing (apt-get install redis-server)"
fi
redis_version=$(dpkg-query -W -f '${Version}' redis-server)
redis_version=${redis_version#*:}
REDIS_TAG=selkie-lab/redis:${redis_version%%-*}-$debian

# PostgreSQL: Debian's layout (/usr/lib/postgresql/N, /usr/share/postgresql/N, the system time
# zones), run as `postgres` by an entrypoint that does what the official image's does for
# POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB and /docker-entrypoint-initdb.d (*.sql, *.sh).
new_context
pg_bin=/usr/lib/postgresql/$pg_major/bin
for prog in postgres initdb pg_ctl pg_isready psql createdb; do
    put "$pg_bin/$prog" "${pg_bin#/}/$prog"
    put_libs "$pg_bin/$prog"
done
mkdir -p "$ctx/rootfs/usr/lib/postgresql/$pg_major" "$ctx/rootfs/usr/share/postgresql" \
    "$ctx/rootfs/var/run/postgresql" "$ctx/rootfs/docker-entrypoint-initdb.d" "$ctx/rootfs/usr/local/bin"
cp -r "/usr/lib/postgresql/$pg_major/lib" "$ctx/rootfs/usr/lib/postgresql/$pg_major/lib"
cp -r "/usr/share/postgresql/$pg_major" "$ctx/rootfs/usr/share/postgresql/$pg_major"
cp -r /usr/share/zoneinfo "$ctx/rootfs/usr/share/zoneinfo"
printf 'postgres:x:70:70:PostgreSQL:/var/lib/postgresql:/bin/sh\n' >>"$ctx/rootfs/etc/passwd"
printf 'postgres:x:70:\n' >>"$ctx/rootfs/etc/group"
cat >"$ctx/rootfs/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# selkie's lab Postgres: a fresh data directory is initialised from POSTGRES_USER,
# POSTGRES_PASSWORD and POSTGRES_DB, then /docker-entrypoint-initdb.d runs, as in the official
# image; then the command (postgres) runs as the postgres user.
set -eu
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 0700 "$PGDATA"
    exec su -s /bin/sh postgres -c 'exec "$0" "$@"' -- /usr/local/bin/docker-entrypoint.sh "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?is not set: the official image refuses to start without it too}"
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" --encoding=UTF8 --locale=C \
        --auth-local=trust --auth-host=scram-sha-256
    rm -f "$pwfile"
    echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    if [ "$db" != postgres ]; then
        psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\""
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 -U "$user" -d "$db" -f "$f" ;;
            *.sh) echo "running $f"; . "$f" ;;
            *) [ -e "$f" ] && echo "ignoring $f" ;;
        esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop
fi
exec "$@"
EOF
chmod 0755 "$ctx/rootfs/usr/local/bin/docker-entrypoint.sh"
cat >"$ctx/Dockerfile" <<EOF
$base_dockerfile
ENV PATH=/usr/lib/postgresql/$pg_major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PGDATA=/var/lib/postgresql/data
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
EOF
image "$POSTGRES_TAG" "$(context_key "$(key postgres "$pg_version" "$pg_bin/postgres" "=$debian")")"

# Redis: Debian's redis-server and redis-cli; as the official image, the data in /data and,
# with no config file given, protected mode off (the container network is the boundary).
new_context
for prog in redis-server redis-cli; do
    put "$(readlink -f "$(command -v "$prog")")" "usr/local/bin/$prog"
    put_libs "$(command -v "$prog")"
done
mkdir -p "$ctx/rootfs/data"
printf 'redis:x:999:999:Redis:/data:/bin/false\n' >>"$ctx/rootfs/etc/passwd"
printf 'redis:x:999:\n' >>"$ctx/rootfs/etc/group"
cat >"$ctx/rootfs/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# selkie's lab Redis: as the official image, `redis-server` with no config file runs without
# protected mode, as the redis user, in /data.
set -eu
if [ "$*" = redis-server ]; then
    set -- redis-server --protected-mode no
fi
if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
    chown -R redis:redis /data
    exec su -s /bin/sh redis -c 'exec "$0" "$@"' -- "$@"
fi
exec "$@"
EOF
chmod 0755 "$ctx/rootfs/usr/local/bin/docker-entrypoint.sh"
cat >"$ctx/Dockerfile" <<EOF
$base_dockerfile
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
EOF
image "$REDIS_TAG" "$(context_key "$(key redis "$redis_version" "$(readlink -f "$(command -v redis-server)")" "=$debian")")"

tags=("$LIVEKIT_TAG" "$CADDY_TAG" "$CADDY_L4_TAG" "$PEBBLE_TAG" "$GARAGE_TAG" "$POCKETBASE_TAG"
    "$HATCHET_TAG" "$TAILSCALE_TAG" "$POSTGRES_TAG" "$REDIS_TAG"
    "$FRONTEND_STANDIN_TAG" "$BACKEND_STANDIN_TAG" "$HUB_STANDIN_TAG")
for socket in "${load_into[@]}"; do
    case "$socket" in
        *://*) target=$socket ;;
        *) target=unix://$socket ;;
    esac
    for tag in "${tags[@]}"; do
        want=$(label "$tag")
        if [ "$(label "$tag" -H "$target")" != "$want" ]; then
            step_start=$EPOCHREALTIME
            docker save "$tag" | docker -H "$target" load --quiet >/dev/null
            timed "load: $tag into $target"
        fi
    done
done

# --- the Python client -----------------------------------------------------------------------

venv=""
if [ "$python" = 1 ]; then
    py=$(command -v python3) || die "python3 is missing (apt-get install python3-venv)"
    py_version=$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
    venv_key=$(key livekit-py "$PY_LIVEKIT_VERSION" "=python $py_version" \
        "=livekit==$PY_LIVEKIT_VERSION livekit-api==$PY_LIVEKIT_API_VERSION aiortc==$PY_AIORTC_VERSION")
    venv=$cache/python/$venv_key
    if [ ! -f "$venv/.complete" ]; then
        step_start=$EPOCHREALTIME
        rm -rf "$venv"
        mkdir -p "$cache/python"
        "$py" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            --cache-dir "$cache/pip" \
            "livekit==$PY_LIVEKIT_VERSION" "livekit-api==$PY_LIVEKIT_API_VERSION" \
            "aiortc==$PY_AIORTC_VERSION"
        "$venv/bin/python" -c 'import livekit.rtc, livekit.api, aiortc' ||
            die "the venv $venv cannot import livekit.rtc, livekit.api and aiortc"
        "$venv/bin/python" -m pip freeze --disable-pip-version-check >"$venv/requirements.lock"
        touch "$venv/.complete"
        timed "python: livekit $PY_LIVEKIT_VERSION, livekit-api $PY_LIVEKIT_API_VERSION, aiortc $PY_AIORTC_VERSION"
    fi
fi

# Binaries and venvs from other versions or inputs: a cache shared by clones at different
# versions rebuilds, which is rarer than a cache growing by 200 MB per version bump.
# With --no-python the venv is kept.
stale=("$cache"/bin/*)
if [ "$python" = 1 ]; then
    stale+=("$cache"/python/*)
fi
for old in "${stale[@]}"; do
    case "$old" in
        "$livekit_dir" | "$caddy_dir" | "$caddy_l4_dir" | "$pebble_dir" | "$garage_dir" | "$pocketbase_dir" | \
            "$hatchet_dir" | "$tailscale_dir" | "$appstandin_dir" | "$venv") ;;
        *) [ -e "$old" ] && rm -rf "$old" ;;
    esac
done

# --- what the lab needs ----------------------------------------------------------------------

{
    echo "# Written by tests/images/build.sh: the lab's programs, built from source."
    echo "SELKIE_LAB_LIVEKIT_IMAGE=$LIVEKIT_TAG"
    echo "SELKIE_LAB_CADDY_IMAGE=$CADDY_TAG"
    echo "SELKIE_LAB_CADDY_L4_IMAGE=$CADDY_L4_TAG"
    echo "SELKIE_LAB_PEBBLE_IMAGE=$PEBBLE_TAG"
    echo "SELKIE_LAB_GARAGE_IMAGE=$GARAGE_TAG"
    echo "SELKIE_LAB_POCKETBASE_IMAGE=$POCKETBASE_TAG"
    echo "SELKIE_LAB_HATCHET_IMAGE=$HATCHET_TAG"
    echo "SELKIE_LAB_TAILSCALE_IMAGE=$TAILSCALE_TAG"
    echo "SELKIE_LAB_POSTGRES_IMAGE=$POSTGRES_TAG"
    echo "SELKIE_LAB_REDIS_IMAGE=$REDIS_TAG"
    echo "SELKIE_LAB_FRONTEND_IMAGE=$FRONTEND_STANDIN_TAG"
    echo "SELKIE_LAB_BACKEND_IMAGE=$BACKEND_STANDIN_TAG"
    echo "SELKIE_LAB_HUB_IMAGE=$HUB_STANDIN_TAG"
    echo "SELKIE_LAB_LIVEKIT_SERVER=$livekit_dir/livekit-server"
    echo "SELKIE_LAB_CADDY=$caddy_dir/caddy"
    echo "SELKIE_LAB_CADDY_L4=$caddy_l4_dir/caddy"
    echo "SELKIE_LAB_PEBBLE=$pebble_dir/pebble"
    echo "SELKIE_LAB_PEBBLE_CHALLTESTSRV=$pebble_dir/pebble-challtestsrv"
    echo "# Pebble's config names its certificate relative to the test/ folder's parent: run it"
    echo "# there, as \`pebble -config test/config/pebble-config.json\`."
    echo "SELKIE_LAB_PEBBLE_TEST_DIR=$pebble_dir/test"
    echo "# Debian $DEBIAN_ROOT_VERSION without Docker, a tarball of the root (tests/docker_install.rs)."
    echo "SELKIE_LAB_DEBIAN_ROOT=$debian_root"
    echo "# The same with systemd as its init, an image in this machine's daemon (tests/systemd_host.rs)."
    echo "SELKIE_LAB_SYSTEMD_IMAGE=$SYSTEMD_TAG"
    if [ -n "$venv" ]; then
        echo "SELKIE_LAB_PYTHON=$venv/bin/python"
    elif [ -f "$cache/paths.env" ]; then
        # --no-python: the venv of an earlier run, if it is still there.
        old=$(sed -n 's/^SELKIE_LAB_PYTHON=//p' "$cache/paths.env")
        if [ -n "$old" ] && [ -x "$old" ]; then
            echo "SELKIE_LAB_PYTHON=$old"
        fi
    fi
} >"$cache/paths.env.tmp"
mv "$cache/paths.env.tmp" "$cache/paths.env"

echo "images: ${tags[*]}"
sed -n 's/^SELKIE_LAB_\([A-Z_0-9]*\)=\(\/.*\)/  \1: \2/p' "$cache/paths.env"
echo "  (as shell variables in $cache/paths.env)"
if [ "${#timings[@]}" -gt 0 ]; then
    echo "cold steps:"
    printf '  %s\n' "${timings[@]}"
fi
echo "total: $(elapsed "$start_all") s"
