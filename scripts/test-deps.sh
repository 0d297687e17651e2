#!/usr/bin/env bash
# What the tests need on this machine, installed once: the real tools they drive (Debian
# packages), a running Docker daemon, and the real images and clients tests/images/build.sh
# builds from source (cached: seconds when nothing changed). Run as root; `cargo test` next.
# .ci/run calls it too.
#
# The tests drive the real tools: caddy (Caddyfile validation, and the proxy image), nft
# (nftables rulesets), shellcheck (firewall scripts), docker-compose (the compose export), nginx
# (proxy snippets), a Docker daemon with busybox-static stand-in images and a local registry, and
# the real LiveKit and Caddy images tests/images/build.sh builds from source (Go 1.26 or newer,
# at /usr/local/go/bin or on PATH; CA certificates and busybox go into the images), and the
# presets' programs (Garage, Hatchet, PocketBase, Tailscale; Debian's Postgres and Redis), and a
# Debian root debootstrap makes, where tests/docker_install.rs installs Docker with apt.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in caddy:caddy nft:nftables shellcheck:shellcheck docker-compose:docker-compose nginx:nginx \
            openssl:openssl dockerd:docker.io docker-registry:docker-registry \
            setpriv:util-linux turnserver:coturn ufw:ufw ip:iproute2 iptables:iptables tmux:tmux \
            curl:curl nsenter:util-linux unshare:util-linux cloud-init:cloud-init groff:groff-base \
            debootstrap:debootstrap firewalld:firewalld dbus-daemon:dbus-daemon atd:at; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${tool%%:*}" ] || need+=("${tool#*:}")
done
# The stand-in images copy /bin/busybox into an empty image: it must be the static build.
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
[ -f /etc/ssl/certs/ca-certificates.crt ] || need+=(ca-certificates)
# build.sh copies Debian's own Postgres and Redis into the lab's images.
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# build.sh's Python venv for the real LiveKit client.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  # firewalld and atd run only inside the tests' namespaces: where systemd runs this machine and
  # they are new here, they are masked before apt would start them (firewalld's default zone
  # would filter this machine). One already installed is left as it is.
  if [ -d /run/systemd/system ]; then
    for unit in firewalld:firewalld atd:at; do
      case " ${need[*]} " in
        *" ${unit#*:} "*) systemctl mask "${unit%%:*}.service" >/dev/null 2>&1 || true ;;
      esac
    done
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A Docker daemon for the end-to-end tests, which fail (never skip) without one.
if ! docker info >/dev/null 2>&1; then
  if [ -d /run/systemd/system ]; then
    echo "starting docker (systemctl)"
    systemctl start docker
  else
    echo "starting dockerd"
    (dockerd >/tmp/selkie-dockerd.log 2>&1 &)
  fi
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start:"; tail -20 /tmp/selkie-dockerd.log 2>/dev/null; exit 1; }
fi

# The real images under the exact references selkie pins (the Docker tests leave them in place
# of stand-ins). Cached outside the clone by version: seconds when nothing changed.
tests/images/build.sh
