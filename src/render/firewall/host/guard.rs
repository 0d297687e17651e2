//! The SSH session guard every host firewall script runs before it changes anything.
//!
//! The guard is a bash function, `selkie_guard`, so it can be tested on its own: a script run with
//! `SELKIE_GUARD_ONLY=1` runs the guard, exits 0 (safe) or 1 (refused), and touches nothing, and
//! it does so before the root check.

use std::fmt::Write as _;

use crate::plan::{FirewallRule, Plan};

use super::super::from_text;

/// Address helpers for the guard: dotted quads and IPv6 text to numbers, and network membership.
/// Pure bash (arithmetic and `read`), so the guard needs no tool the host may lack.
const ADDRESS_HELPERS: &str = r#"
# selkie_ip4 ADDR: the IPv4 address as one number; status 1 when ADDR is not one.
selkie_ip4() {
  local IFS=. part n=0
  local -a parts=()
  read -r -a parts <<<"$1"
  if (( ${#parts[@]} != 4 )); then return 1; fi
  for part in "${parts[@]}"; do
    if [[ ! $part =~ ^[0-9]{1,3}$ ]] || (( 10#$part > 255 )); then return 1; fi
    n=$(( n * 256 + 10#$part ))
  done
  echo "$n"
}

# selkie_ip6 ADDR: the eight 16-bit groups of an IPv6 address as numbers; status 1 when ADDR is
# not one. Handles `::` and a zone (`%eth0`); an embedded IPv4 tail (::ffff:1.2.3.4) counts as
# unreadable, which is fine here: sshd reports IPv4-mapped clients as plain IPv4.
selkie_ip6() {
  local addr=${1%%%*} head tail part out='' fill=0
  local -a h=() t=()
  if [[ $addr == *::* ]]; then
    head=${addr%%::*}
    tail=${addr#*::}
    if [[ $tail == *::* ]]; then return 1; fi
  else
    head=$addr
    tail=''
  fi
  if [[ -n $head ]]; then IFS=: read -r -a h <<<"$head"; fi
  if [[ -n $tail ]]; then IFS=: read -r -a t <<<"$tail"; fi
  if [[ $addr == *::* ]]; then
    fill=$(( 8 - ${#h[@]} - ${#t[@]} ))
    if (( fill < 1 )); then return 1; fi
  elif (( ${#h[@]} != 8 )); then
    return 1
  fi
  for part in ${h[@]+"${h[@]}"}; do
    if [[ ! $part =~ ^[0-9a-fA-F]{1,4}$ ]]; then return 1; fi
    out+="$(( 16#$part )) "
  done
  for (( ; fill > 0; fill-- )); do out+="0 "; done
  for part in ${t[@]+"${t[@]}"}; do
    if [[ ! $part =~ ^[0-9a-fA-F]{1,4}$ ]]; then return 1; fi
    out+="$(( 16#$part )) "
  done
  echo "$out"
}

# selkie_in_net ADDR NET PREFIX: whether ADDR lies inside NET/PREFIX. Addresses of different
# families never match, and neither does an address the helpers above cannot read.
selkie_in_net() {
  local a b mask i bits
  local -a x=() y=()
  if [[ $1 == *:* || $2 == *:* ]]; then
    if [[ $1 != *:* || $2 != *:* ]]; then return 1; fi
    a=$(selkie_ip6 "$1") || return 1
    b=$(selkie_ip6 "$2") || return 1
    read -r -a x <<<"$a"
    read -r -a y <<<"$b"
    for (( i = 0; i < 8; i++ )); do
      bits=$(( $3 - 16 * i ))
      if (( bits <= 0 )); then break; fi
      if (( bits > 16 )); then bits=16; fi
      mask=$(( (0xFFFF << (16 - bits)) & 0xFFFF ))
      if (( (x[i] & mask) != (y[i] & mask) )); then return 1; fi
    done
    return 0
  fi
  a=$(selkie_ip4 "$1") || return 1
  b=$(selkie_ip4 "$2") || return 1
  if (( $3 == 0 )); then return 0; fi
  mask=$(( (0xFFFFFFFF << (32 - $3)) & 0xFFFFFFFF ))
  (( (a & mask) == (b & mask) ))
}
"#;

/// Finding the session: `SSH_CONNECTION`, or the nearest ancestor's, since sudo drops it.
const FIND_SESSION: &str = r#"
# selkie_session: print SSH_CONNECTION ("client_ip client_port server_ip server_port"), or nothing
# outside an SSH session. sudo's env_reset drops it, so when it is unset here, look for it in the
# environment of each parent process in turn (/proc/PID/environ; root may read them all).
selkie_session() {
  local pid=$PPID next line i=0
  if [[ -n ${SSH_CONNECTION:-} ]]; then
    echo "$SSH_CONNECTION"
    return 0
  fi
  while (( pid > 1 && i < 64 )); do
    line=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -m1 '^SSH_CONNECTION=') || line=''
    if [[ -n $line ]]; then
      echo "${line#SSH_CONNECTION=}"
      return 0
    fi
    next=$(awk '$1 == "PPid:" { print $2 }' 2>/dev/null <"/proc/$pid/status") || next=''
    if [[ ! $next =~ ^[0-9]+$ ]]; then break; fi
    pid=$next
    i=$(( i + 1 ))
  done
}
"#;

/// The guard: helpers, the plan's SSH rules as bash, and the checks, ending with the lines that
/// run it (alone under `SELKIE_GUARD_ONLY=1`). Goes right after `set -euo pipefail`.
pub(super) fn session_guard(plan: &Plan) -> String {
    let ssh = &plan.firewall.ssh;
    let mut out = String::from(
        "\n# The SSH session guard. Run it alone with SELKIE_GUARD_ONLY=1 (no root needed): it exits 0\n\
         # when this firewall keeps the session that runs it, 1 when it would cut it off.\n",
    );
    out.push_str(ADDRESS_HELPERS);
    out.push_str(FIND_SESSION);
    out.push_str(&allows_fn(ssh));
    out.push_str(&guard_fn(plan));
    out.push_str("\nif [[ ${SELKIE_GUARD_ONLY:-0} == 1 ]]; then\n  selkie_guard\n  exit 0\nfi\n");
    out
}

/// `selkie_ssh_port PORT` and `selkie_ssh_allows PORT CLIENT`, one test per SSH rule.
fn allows_fn(ssh: &[FirewallRule]) -> String {
    let mut port = String::from(
        "\n# selkie_ssh_port PORT: whether the SSH rules open PORT (to anyone or to some network).\n\
         selkie_ssh_port() {\n",
    );
    let mut allows = String::from(
        "\n# selkie_ssh_allows PORT CLIENT: whether an SSH rule lets CLIENT reach PORT.\n\
         selkie_ssh_allows() {\n",
    );
    for rule in ssh {
        let range = format!("$1 >= {} && $1 <= {}", rule.port, rule.end);
        let _ = writeln!(port, "  if (( {range} )); then return 0; fi");
        let _ = writeln!(
            allows,
            "  # {}/{} from {}",
            rule.label(),
            rule.proto.as_str(),
            from_text(rule)
        );
        match rule.source {
            None => {
                let _ = writeln!(allows, "  if (( {range} )); then return 0; fi");
            }
            Some(source) => {
                let _ = writeln!(
                    allows,
                    "  if (( {range} )) && selkie_in_net \"$2\" {} {}; then return 0; fi",
                    source.addr(),
                    source.prefix()
                );
            }
        }
    }
    port.push_str("  return 1\n}\n");
    allows.push_str("  return 1\n}\n");
    port + &allows
}

/// `selkie_guard`: warn about sshd ports the firewall closes, then refuse (status 1) when the
/// session's own port or address is not allowed, unless SELKIE_FORCE=1.
fn guard_fn(plan: &Plan) -> String {
    let ssh = &plan.firewall.ssh;
    let listed = if ssh.is_empty() {
        "none".to_string()
    } else {
        ssh.iter()
            .map(|r| format!("{}/{} from {}", r.label(), r.proto.as_str(), from_text(r)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::from(
        "\n# selkie_guard: stop (status 1) before anything changes when the firewall would cut off the\n\
         # SSH session running this script; SELKIE_FORCE=1 goes on anyway. sshd ports the firewall\n\
         # closes only get a warning: the session in use is what must survive.\n\
         selkie_guard() {\n  \
         local conn client port p listening=''\n  \
         if command -v ss >/dev/null 2>&1; then\n    \
         listening=$(ss -Htlnp 2>/dev/null | grep -w sshd | awk '{ n = split($4, a, \":\"); print a[n] }') || listening=''\n  \
         fi\n  \
         for p in $listening; do\n    \
         if [[ $p =~ ^[0-9]+$ ]] && ! selkie_ssh_port \"$p\"; then\n      \
         echo \"warning: sshd also listens on port $p, which this firewall closes\" >&2\n    \
         fi\n  \
         done\n\n  \
         conn=$(selkie_session)\n  \
         if [[ -z $conn ]]; then\n    \
         echo \"no SSH session found (SSH_CONNECTION is unset here and in every parent process): nothing to keep open\" >&2\n    \
         return 0\n  \
         fi\n",
    );
    // The server address matters only to tell a session over the VPN.
    let server = if plan.firewall.trusted_interface.is_some() {
        "server"
    } else {
        "_"
    };
    if plan.firewall.trusted_interface.is_some() {
        out.push_str("  local server\n");
    }
    let _ = write!(
        out,
        "  read -r client _ {server} port _ <<<\"$conn\"\n  \
         if [[ ${{port:-}} =~ ^[0-9]+$ ]] && selkie_ssh_allows \"$port\" \"$client\"; then\n    \
         return 0\n  \
         fi\n"
    );
    if let Some(iface) = &plan.firewall.trusted_interface {
        let _ = write!(
            out,
            "  # A session over the VPN stays: everything arriving on {iface} is allowed.\n  \
             if [[ -n ${{server:-}} ]] && command -v ip >/dev/null 2>&1 \\\n    \
             && [[ $(ip -o addr show dev {iface} 2>/dev/null || true) == *\" $server/\"* ]]; then\n    \
             return 0\n  \
             fi\n"
        );
    }
    let _ = write!(
        out,
        "  if [[ ! ${{port:-}} =~ ^[0-9]+$ ]]; then\n    \
         echo \"cannot read the SSH session from SSH_CONNECTION=\\\"$conn\\\"\" >&2\n  \
         elif ! selkie_ssh_port \"$port\"; then\n    \
         echo \"this SSH session arrives on port $port, which this firewall does not open (SSH: {listed})\" >&2\n    \
         echo \"re-plan with --ssh-port $port if sshd listens there\" >&2\n  \
         else\n    \
         echo \"this SSH session comes from $client, outside the networks SSH is limited to (SSH: {listed})\" >&2\n    \
         echo \"re-plan with --ssh-from set to a network that holds $client, or connect from inside one\" >&2\n  \
         fi\n  \
         if [[ ${{SELKIE_FORCE:-0}} == 1 ]]; then\n    \
         echo \"SELKIE_FORCE=1: going on anyway\" >&2\n    \
         return 0\n  \
         fi\n  \
         echo \"nothing was changed; set SELKIE_FORCE=1 to go on anyway\" >&2\n  \
         return 1\n\
         }}\n"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::ProxyMode;
    use crate::render::firewall::tests::plan;

    #[test]
    fn each_ssh_rule_becomes_a_test_with_its_source() {
        let open = plan("livekit", ProxyMode::Caddy, "meet.example.com", None);
        let text = session_guard(&open);
        assert!(
            text.contains("  if (( $1 >= 22 && $1 <= 22 )); then return 0; fi\n"),
            "{text}"
        );
        let restricted = plan(
            "private",
            ProxyMode::Caddy,
            "100.100.1.2",
            Some("198.51.100.0/24"),
        );
        let text = session_guard(&restricted);
        assert!(
            text.contains("selkie_in_net \"$2\" 198.51.100.0 24; then return 0; fi"),
            "{text}"
        );
        assert!(text.contains("ip -o addr show dev tailscale0"), "{text}");
    }
}
