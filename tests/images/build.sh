#!/usr/bin/env bash
# Builds the real programs selkie deploys, from source at the exact versions selkie pins, into
# Docker images tagged with the exact references selkie uses; no image registry is needed, only
# the Go module proxy and PyPI. The Docker tests then run against these instead of stand-ins
# (tests/common/docker.rs leaves an image carrying the io.selkie.image.key label alone).
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
#   a Python venv                    PyPI's livekit (the real WebRTC client, native libwebrtc)
#                                    and livekit-api
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
# with venv, Debian's busybox-static and ca-certificates, sha256sum, flock.
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
PY_LIVEKIT_VERSION=1.2.1
PY_LIVEKIT_API_VERSION=1.2.2

LIVEKIT_TAG=livekit/livekit-server:$LIVEKIT_VERSION
CADDY_TAG=caddy:${CADDY_VERSION#v}
CADDY_L4_TAG=livekit/caddyl4:$CADDY_L4_CADDY_VERSION
PEBBLE_TAG=selkie-lab/pebble:$PEBBLE_VERSION
GARAGE_TAG=dxflrs/garage:$GARAGE_VERSION
POCKETBASE_TAG=selkie-lab/pocketbase:$POCKETBASE_VERSION
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

tags=("$LIVEKIT_TAG" "$CADDY_TAG" "$CADDY_L4_TAG" "$PEBBLE_TAG" "$GARAGE_TAG" "$POCKETBASE_TAG")
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
        "=livekit==$PY_LIVEKIT_VERSION livekit-api==$PY_LIVEKIT_API_VERSION")
    venv=$cache/python/$venv_key
    if [ ! -f "$venv/.complete" ]; then
        step_start=$EPOCHREALTIME
        rm -rf "$venv"
        mkdir -p "$cache/python"
        "$py" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            --cache-dir "$cache/pip" \
            "livekit==$PY_LIVEKIT_VERSION" "livekit-api==$PY_LIVEKIT_API_VERSION"
        "$venv/bin/python" -c 'import livekit.rtc, livekit.api' ||
            die "the venv $venv cannot import livekit.rtc and livekit.api"
        "$venv/bin/python" -m pip freeze --disable-pip-version-check >"$venv/requirements.lock"
        touch "$venv/.complete"
        timed "python: livekit $PY_LIVEKIT_VERSION, livekit-api $PY_LIVEKIT_API_VERSION"
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
        "$livekit_dir" | "$caddy_dir" | "$caddy_l4_dir" | "$pebble_dir" | "$garage_dir" | "$pocketbase_dir" | "$venv") ;;
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
    echo "SELKIE_LAB_LIVEKIT_SERVER=$livekit_dir/livekit-server"
    echo "SELKIE_LAB_CADDY=$caddy_dir/caddy"
    echo "SELKIE_LAB_CADDY_L4=$caddy_l4_dir/caddy"
    echo "SELKIE_LAB_PEBBLE=$pebble_dir/pebble"
    echo "SELKIE_LAB_PEBBLE_CHALLTESTSRV=$pebble_dir/pebble-challtestsrv"
    echo "# Pebble's config names its certificate relative to the test/ folder's parent: run it"
    echo "# there, as \`pebble -config test/config/pebble-config.json\`."
    echo "SELKIE_LAB_PEBBLE_TEST_DIR=$pebble_dir/test"
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
