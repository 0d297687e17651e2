#!/usr/bin/env bash
# Key presses from `selkie setup` to a written deployment when every question is answered with
# Enter alone (every default accepted), per preset, in a tmux pane of COLS x ROWS (80x24 unless
# set). A figure, not a test: tests/wizard.rs holds the assertion. The host is a fixture (an
# address, an SSH session, no Docker), so the run is `--no-start`; a preset whose service has no
# public image gets a stand-in reference with --image, which the wizard shows as its default.
# Accepting every default applies the host firewall and kernel settings, so each run is in a
# network namespace of its own with its own /etc/ufw, /etc/default, /etc/sysctl.d and /run (the
# machine's own are never touched; root is needed); the count stops at the written deployment,
# where selkie waits for the firewall to be kept.
#
#   scripts/wizard-keys.sh [PRESET...]        # all presets when none is named
set -euo pipefail
cd "$(dirname "$0")/.."
cols=${COLS:-80}
rows=${ROWS:-24}
bin=${SELKIE_BIN:-target/debug/selkie}
command -v tmux >/dev/null || { echo "wizard-keys: tmux is needed (apt-get install tmux)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "wizard-keys: run as root (each run applies a firewall in a network namespace)" >&2; exit 1; }
[ -x "$bin" ] || cargo build --quiet
if [ $# -gt 0 ]; then presets=("$@"); else
    presets=(); for f in presets/*.toml; do n=${f##*/}; presets+=("${n%.toml}"); done
fi

work=$(mktemp -d)
ns="selkie-keys-$$"
trap 'ip netns pids "$ns" 2>/dev/null | xargs -r kill -9; ip netns delete "$ns" 2>/dev/null; rm -rf "$work" "/etc/netns/$ns"' EXIT
ip netns add "$ns"
mkdir -p "/etc/netns/$ns/sysctl.d"
cp -a /etc/ufw /etc/default "/etc/netns/$ns/"
for f in user.rules user6.rules ufw.conf; do [ -f "/usr/share/ufw/$f" ] && cp "/usr/share/ufw/$f" "/etc/netns/$ns/ufw/"; done
mkdir -p "$work/proc/net" "$work/proc/sys/net/ipv4" "$work/dmi"
printf 'Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 203.0.113.7\n        /32 host LOCAL\n' >"$work/proc/net/fib_trie"
printf '32768\t60999\n' >"$work/proc/sys/net/ipv4/ip_local_port_range"
printf 'MemTotal: 4194304 kB\n' >"$work/proc/meminfo"

# The services of preset $1 that have no public image, one name a line.
no_image() {
    awk '/^\[\[service\]\]/ {name=""} /^name = / && name=="" {gsub(/"/,"",$3); name=$3}
         /^image_hint/ {print name}' "presets/$1.toml"
}

# Wait until the screen has not changed for half a second; print it.
settled() {
    local before now
    before=$(tmux -L "$1" capture-pane -p -J)
    while :; do
        sleep 0.5
        now=$(tmux -L "$1" capture-pane -p -J)
        [ "$now" = "$before" ] && break
        before=$now
    done
    printf '%s' "$now"
}

printf '%-10s %s\n' PRESET "KEY PRESSES (Enter only, ${cols}x${rows})"
for p in "${presets[@]}"; do
    dir="$work/deploy-$p"
    socket="selkie-keys-$$-$p"
    images=""
    for s in $(no_image "$p"); do images+=" --image $s=registry.example.com/$s:1"; done
    cmd="ip netns exec $ns sh -c 'mount -t tmpfs tmpfs /run && exec \"\$@\"' sh env SELKIE_PROC_DIR='$work/proc' SELKIE_DMI_DIR='$work/dmi' \
SSH_CONNECTION='198.51.100.4 50000 203.0.113.7 22' DOCKER_HOST=unix:///nonexistent.sock \
NO_COLOR=1 LANG=C.UTF-8 LC_ALL= SELKIE_DIR= \
'$bin' setup --dir '$dir' --no-start --preset $p$images; echo DONE-\$?; sleep 120"
    TERM=xterm tmux -L "$socket" -f /dev/null new-session -d -x "$cols" -y "$rows" "$cmd"
    presses=0
    deadline=$((SECONDS + 120))
    while [ $SECONDS -lt $deadline ]; do
        screen=$(settled "$socket")
        if grep -qE 'DONE-|Press Enter here once the second login works' <<<"$screen"; then break; fi
        # Press only at a question: each shows its help line in brackets, the pager its "more".
        if grep -qE '^ *\[|-- more' <<<"$screen"; then
            tmux -L "$socket" send-keys Enter
            presses=$((presses + 1))
        fi
    done
    code=$(grep -o 'DONE-[0-9]*' <<<"$screen" | head -1 | cut -d- -f2)
    grep -q 'Press Enter here once the second login works' <<<"$screen" && code=0
    tmux -L "$socket" kill-server 2>/dev/null || true
    # The firewall of this run goes with it: the next preset starts from none.
    ip netns pids "$ns" | xargs -r kill -9
    ip netns exec "$ns" sh -c 'ufw --force reset >/dev/null 2>&1; nft flush ruleset' || true
    cp /usr/share/ufw/user.rules /usr/share/ufw/user6.rules /usr/share/ufw/ufw.conf "/etc/netns/$ns/ufw/" 2>/dev/null || true
    if [ "${code:-x}" = 0 ] && [ -f "$dir/selkie.toml" ]; then
        printf '%-10s %d\n' "$p" "$presses"
    else
        printf '%-10s no deployment written after %d presses (exit %s)\n' "$p" "$presses" "${code:-none}"
        printf '%s\n' "$screen" | tail -8 | sed 's/^/    /'
    fi
done
