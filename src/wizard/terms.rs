//! Hints in the wizard's terms. The checks behind every answer are shared with the flags, and
//! their hints name flags (`--ip ADDR`, `--udp-start`); a wizard user sets the same thing at a
//! question, so each flag is spoken of as what it sets.

/// Whole phrases that read badly word by word, replaced first.
const PHRASES: &[(&str, &str)] = &[
    (
        "or use --ip with the server's address",
        "or enter the server's IP address instead",
    ),
    ("or use --ip for an address", "or enter an IP address"),
    ("address with --ip (see", "address as the address (see"),
    ("(--udp-start)", "(a lower start port)"),
    ("(--ssh-port)", ""),
    ("pass --image", "give an image for"),
    (
        "with --ssh-from YOUR_IP",
        "to your own address (the SSH question)",
    ),
];

/// `text` with every setup flag it names replaced by what that flag sets, in words.
pub fn speak(text: &str) -> String {
    let mut text = text.to_string();
    for (from, to) in PHRASES {
        text = text.replace(from, to);
    }
    let mut out: Vec<String> = Vec::new();
    let mut words = text.split(' ').peekable();
    while let Some(word) = words.next() {
        let Some(flag) = word.strip_prefix("--").filter(|f| !f.is_empty()) else {
            out.push(word.to_string());
            continue;
        };
        let (name, tail) = split_tail(flag);
        let value = words
            .peek()
            .filter(|next| takes(name, next))
            .map(|next| split_tail(next));
        if value.is_some() {
            words.next();
        }
        let spoken = match value {
            Some((v, after)) => format!("{}{after}", said(name, Some(v))),
            None => format!("{}{tail}", said(name, None)),
        };
        out.push(spoken);
    }
    out.join(" ")
}

/// A word without the punctuation that closes a clause (`,` `)` `;` `.` at the end).
fn split_tail(word: &str) -> (&str, &str) {
    let cut = word
        .char_indices()
        .rev()
        .take_while(|(_, c)| matches!(c, ',' | ')' | ';' | ':'))
        .last()
        .map_or(word.len(), |(i, _)| i);
    word.split_at(cut)
}

/// Whether `next` is the value of flag `name` rather than the sentence going on.
fn takes(name: &str, next: &str) -> bool {
    let (v, _) = split_tail(next);
    let placeholder = !v.is_empty() && v.chars().all(|c| c.is_ascii_uppercase() || c == '_');
    let value = v.chars().any(|c| c.is_ascii_digit()) || v.contains('.') || v.contains('=');
    match name {
        "proxy" | "udp" | "provider" => {
            !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
        }
        _ => placeholder || value,
    }
}

/// What flag `name` (with its value, if any) sets, as a wizard user meets it.
fn said(name: &str, value: Option<&str>) -> String {
    let placeholder = value.is_none_or(|v| v.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
    let v = value.unwrap_or_default();
    match name {
        "domain" if placeholder => "a domain (at the address question)".into(),
        "domain" => format!("the domain {v}"),
        "ip" if placeholder => "an IP address (at the address question)".into(),
        "ip" => v.to_string(),
        "proxy" if placeholder => "another proxy".into(),
        "proxy" => format!("the proxy {v}"),
        "udp" if v == "mux" => "one multiplexed UDP port (under UDP ports)".into(),
        "udp" => "a UDP port range (under UDP ports)".into(),
        "udp-start" if placeholder => "another start port (under UDP ports)".into(),
        "udp-start" => format!("the start port {v} (under UDP ports)"),
        "participants" => "the number of participants".into(),
        "ssh-port" if placeholder => "the SSH port (the SSH question)".into(),
        "ssh-port" => v.to_string(),
        "ssh-from" => "your own address (the SSH question)".into(),
        "provider" if placeholder => "the provider".into(),
        "provider" => format!("the provider {v}"),
        "image" => match v.split_once('=') {
            Some((service, _)) => format!("an image for {service} (at the preset question)"),
            None => "an image (at the preset question)".into(),
        },
        "livekit-host" | "lk-host" => "the LiveKit host name (at the proxy question)".into(),
        "turn-host" => "the TURN host name (at the proxy question)".into(),
        other => match value {
            Some(v) => format!("--{other} {v}"),
            None => format!("--{other}"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::{Hostname, Participants, PublicAddress, UdpStart};

    fn hint_of<T: std::fmt::Debug>(r: Result<T, crate::error::Error>) -> String {
        let e = r.expect_err("refused");
        format!("{e}: {}", e.hint().unwrap_or_default())
    }

    #[test]
    fn the_hints_of_refused_answers_name_no_flag() {
        let hints = [
            hint_of("203.0.113.7".parse::<Hostname>()),
            hint_of("meet".parse::<Hostname>()),
            hint_of("example.com".parse::<PublicAddress>()),
            hint_of("::ffff:127.0.0.1".parse::<PublicAddress>()),
            hint_of("lots".parse::<Participants>()),
            hint_of("80".parse::<UdpStart>()),
            hint_of(crate::answers::ssh_port("0")),
        ];
        for hint in hints {
            let spoken = speak(&hint);
            assert!(!spoken.contains("--"), "{hint}\n-> {spoken}");
        }
    }

    #[test]
    fn a_flag_becomes_what_it_sets() {
        assert_eq!(
            speak("use --ip 203.0.113.7 for a server reached by its address"),
            "use 203.0.113.7 for a server reached by its address"
        );
        assert_eq!(
            speak("choose another start port, e.g. --udp-start 50200"),
            "choose another start port, e.g. the start port 50200 (under UDP ports)"
        );
        assert_eq!(
            speak("give --ssh-port PORT if sshd listens elsewhere"),
            "give the SSH port (the SSH question) if sshd listens elsewhere"
        );
        assert_eq!(
            speak("the livekit preset does not work with --proxy none, so"),
            "the livekit preset does not work with the proxy none, so"
        );
        assert_eq!(speak("keep `a --b` as it is"), "keep `a --b` as it is");
    }

    #[test]
    fn the_plans_warnings_and_refusals_name_no_flag() {
        let host = crate::host::HostFacts {
            ssh_guessed: true,
            ..Default::default()
        };
        for preset in crate::preset::all() {
            for (mode, address) in [
                (crate::answers::ProxyMode::Caddy, "203.0.113.7"),
                (crate::answers::ProxyMode::None, "meet.example.com"),
                (crate::answers::ProxyMode::CaddyL4, "203.0.113.7"),
            ] {
                let mut a = crate::testing::answers(&preset, mode, address);
                a.ssh = Default::default();
                a.images.clear();
                let mut texts = Vec::new();
                match crate::plan::build(&a, &preset, &host) {
                    Ok(plan) => texts.extend(plan.warnings.clone()),
                    Err(e) => texts.push(hint_of::<()>(Err(e))),
                }
                for text in texts {
                    let spoken = speak(&text);
                    assert!(!spoken.contains(" --"), "{text}\n-> {spoken}");
                }
            }
        }
    }
}
