//! Cloud firewall scripts converge: run against a stand-in provider CLI that keeps its rules in a
//! file, the script for a changed plan leaves exactly that plan's rules (AWS revokes what it owns
//! and no longer needs; GCP deletes the rules under names the plan no longer uses).

use std::path::Path;
use std::process::Command;

use selkie::answers::Provider;
use selkie::host::HostFacts;
use selkie::plan::Plan;

/// The plan for `selkie.toml` text (answers as an operator would save them).
fn plan(extra: &str) -> Plan {
    let text = format!(
        "version = 1\npreset = \"livekit\"\ndomain = \"meet.example.com\"\nproxy = \"caddy\"\n\
         udp = \"range\"\nprovider = \"aws\"\n{extra}"
    );
    let answers = selkie::state::parse_answers(&text).unwrap();
    let preset = selkie::preset::find("livekit").unwrap();
    selkie::plan::build(&answers, &preset, &HostFacts::default()).unwrap()
}

fn before() -> Plan {
    plan("participants = 50\n[ssh]\nports = [22]\n")
}

fn after() -> Plan {
    plan("participants = 200\n[ssh]\nports = [22]\nallow_from = \"198.51.100.4/32\"\n")
}

const FAKE_AWS: &str = r#"#!/usr/bin/env bash
# A stand-in for `aws ec2` keeping one security group's ingress rules in $STATE, one
# "ID PROTO FROM TO CIDR" per line.
set -euo pipefail
touch "$STATE"
case "$2" in
  describe-instances)
    if [[ $* == *VpcId* ]]; then echo vpc-1; else echo sg-default; fi ;;
  describe-security-groups) echo sg-selkie ;;
  create-security-group) echo sg-selkie ;;
  authorize-security-group-ingress)
    json=${*: -1}
    rule=$(jq -r '.[0] | "\(.IpProtocol) \(.FromPort) \(.ToPort) \((.IpRanges // .Ipv6Ranges)[0] | (.CidrIp // .CidrIpv6))"' <<<"$json")
    if cut -d' ' -f2- "$STATE" | grep -qxF "$rule"; then
      echo "An error occurred (InvalidPermission.Duplicate)" >&2; exit 254
    fi
    echo "sgr-$RANDOM$RANDOM $rule" >>"$STATE" ;;
  describe-security-group-rules)
    while read -r id rest; do printf '%s\t%s\n' "$id" "${rest// /$'\t'}"; done <"$STATE" ;;
  revoke-security-group-ingress)
    id=${*: -1}
    grep -v "^$id " "$STATE" >"$STATE.new" || true
    mv "$STATE.new" "$STATE" ;;
  modify-instance-attribute) ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
"#;

const FAKE_GCLOUD: &str = r#"#!/usr/bin/env bash
# A stand-in for `gcloud compute` keeping firewall rules in $STATE, one "NAME|DESCRIPTION|ALLOW"
# per line.
set -euo pipefail
touch "$STATE"
[[ $1 == compute ]] || exit 2
arg() { local k=$1; shift; for a in "$@"; do [[ $a == "$k="* ]] && echo "${a#*=}"; done; }
case "$2 $3" in
  "firewall-rules describe") grep -q "^$4|" "$STATE" ;;
  "firewall-rules create"|"firewall-rules update")
    grep -v "^$4|" "$STATE" >"$STATE.new" || true
    echo "$4|$(arg --description "$@")|$(arg --allow "$@") $(arg --source-ranges "$@")" >>"$STATE.new"
    mv "$STATE.new" "$STATE" ;;
  "firewall-rules list")
    while IFS='|' read -r name desc _; do [[ $desc == selkie:* ]] && echo "$name"; done <"$STATE" ;;
  "firewall-rules delete")
    grep -v "^$4|" "$STATE" >"$STATE.new" || true
    mv "$STATE.new" "$STATE" ;;
  "instances add-tags") ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
"#;

/// Run `script` with the stand-in `tool` on PATH and the provider's state in `state`.
fn run(script: &str, tool: &str, fake: &str, state: &Path, env: &[(&str, &str)]) {
    let dir = state.parent().unwrap();
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let fake_path = bin.join(tool);
    std::fs::write(&fake_path, fake).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake_path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script_path = dir.join("script.sh");
    std::fs::write(&script_path, script).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = Command::new("bash")
        .arg(&script_path)
        .env("PATH", path)
        .env("STATE", state)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `PROTO FROM TO CIDR` for every rule and family of a plan.
fn wanted(plan: &Plan) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for rule in plan.firewall.all() {
        let sources = match rule.source {
            Some(s) => vec![s.to_string()],
            None => vec!["0.0.0.0/0".to_string(), "::/0".to_string()],
        };
        for s in sources {
            out.push(format!(
                "{} {} {} {s}",
                rule.proto.as_str(),
                rule.port,
                rule.end
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn aws_revokes_the_rules_an_earlier_plan_opened() {
    selkie_require("jq");
    let t = tempfile::tempdir().unwrap();
    let state = t.path().join("rules");
    let env = [("INSTANCE_ID", "i-1")];
    let (a, b) = (before(), after());
    let script = |p: &Plan| selkie::render::firewall::cloud(p, Provider::Aws).unwrap();
    run(&script(&a), "aws", FAKE_AWS, &state, &env);
    let rules = |state: &Path| {
        let mut r: Vec<String> = std::fs::read_to_string(state)
            .unwrap()
            .lines()
            .map(|l| l.split_once(' ').unwrap().1.to_string())
            .collect();
        r.sort();
        r
    };
    assert_eq!(rules(&state), wanted(&a));
    assert!(rules(&state).contains(&"tcp 22 22 0.0.0.0/0".to_string()));
    // The plan changes: SSH only from the operator, a longer UDP range.
    run(&script(&b), "aws", FAKE_AWS, &state, &env);
    assert_eq!(rules(&state), wanted(&b), "exactly the new plan's rules");
    assert!(!rules(&state).contains(&"tcp 22 22 0.0.0.0/0".to_string()));
    // Running it again changes nothing.
    run(&script(&b), "aws", FAKE_AWS, &state, &env);
    assert_eq!(rules(&state), wanted(&b));
}

#[test]
fn gcp_deletes_rules_under_names_the_plan_no_longer_uses() {
    let t = tempfile::tempdir().unwrap();
    let state = t.path().join("rules");
    // A rule of the operator's own, which must survive.
    std::fs::write(&state, "default-allow-ssh|Allow SSH|tcp:22 0.0.0.0/0\n").unwrap();
    let env = [("INSTANCE", "vm"), ("ZONE", "europe-west1-b")];
    let script = |p: &Plan| selkie::render::firewall::cloud(p, Provider::Gcp).unwrap();
    let names = |state: &Path| {
        let mut n: Vec<String> = std::fs::read_to_string(state)
            .unwrap()
            .lines()
            .map(|l| l.split('|').next().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    run(&script(&before()), "gcloud", FAKE_GCLOUD, &state, &env);
    assert_eq!(
        names(&state),
        [
            "default-allow-ssh",
            "selkie-ssh-v4",
            "selkie-ssh-v6",
            "selkie-v4",
            "selkie-v6"
        ]
    );
    // SSH restricted to an IPv4 address: the -ssh-v6 rule (SSH from anywhere) must go.
    run(&script(&after()), "gcloud", FAKE_GCLOUD, &state, &env);
    assert_eq!(
        names(&state),
        [
            "default-allow-ssh",
            "selkie-ssh-v4",
            "selkie-v4",
            "selkie-v6"
        ]
    );
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(
        text.contains("selkie-ssh-v4|selkie: 22/tcp sshd|tcp:22 198.51.100.4/32"),
        "{text}"
    );
}

fn selkie_require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is needed by this test: apt-get install {tool}"
    );
}
