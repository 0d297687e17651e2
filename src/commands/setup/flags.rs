//! The setup flags, from clap's text to the typed [`Flags`] the pipeline merges into answers.

use crate::answers::AcmeCa;
use crate::cli::SetupArgs;
use crate::error::{Error, Result};
use crate::preset;
use crate::setup::Flags;

/// Parse every setup flag by the validated types, reading nothing but `--acme-ca-root`.
pub fn parse(args: &SetupArgs) -> Result<Flags> {
    fn opt<T: std::str::FromStr<Err = Error>>(v: &Option<String>) -> Result<Option<T>> {
        v.as_deref().map(str::parse).transpose()
    }
    // An empty value means "clear it".
    fn clearable<T: std::str::FromStr<Err = Error>>(
        v: &Option<String>,
    ) -> Result<Option<Option<T>>> {
        match v.as_deref().map(str::trim) {
            None => Ok(None),
            Some("") => Ok(Some(None)),
            Some(text) => Ok(Some(Some(text.parse()?))),
        }
    }
    let images = args
        .image
        .iter()
        .map(|raw| {
            let (service, reference) = raw.split_once('=').ok_or_else(|| {
                Error::invalid(
                    format!("`--image {raw}` has no `=`"),
                    "write it as --image SERVICE=REF, e.g. --image frontend=registry.example.com/app:1.2",
                )
            })?;
            let reference = match reference.trim() {
                "" => None,
                text => Some(text.parse()?),
            };
            Ok((service.trim().to_string(), reference))
        })
        .collect::<Result<Vec<_>>>()?;
    let ssh_ports = args
        .ssh_port
        .iter()
        .map(|p| crate::answers::ssh_port(p))
        .collect::<Result<Vec<_>>>()?;
    Ok(Flags {
        preset: args.preset.as_deref().map(preset::find).transpose()?,
        domain: opt(&args.domain)?,
        ip: opt(&args.ip)?,
        proxy: opt(&args.proxy)?,
        participants: opt(&args.participants)?,
        udp: opt(&args.udp)?,
        udp_start: opt(&args.udp_start)?,
        provider: opt(&args.provider)?,
        email: clearable(&args.email)?,
        acme: acme_flags(args)?,
        ip_cert: clearable(&args.ip_cert)?,
        images,
        livekit_host: clearable(&args.livekit_host)?,
        turn_host: clearable(&args.turn_host)?,
        ssh_ports,
        ssh_from: clearable(&args.ssh_from)?,
        apply_firewall: args.apply_firewall,
        apply_sysctl: args.apply_sysctl,
        host_firewall: clearable(&args.host_firewall)?,
    })
}

/// `--acme-ca URL [--acme-ca-root FILE]`: the CA, with the root read from the file now.
fn acme_flags(args: &SetupArgs) -> Result<Option<Option<AcmeCa>>> {
    let Some(url) = args.acme_ca.as_deref().map(str::trim) else {
        return Ok(None);
    };
    if url.is_empty() {
        return Ok(Some(None));
    }
    let root = match &args.acme_ca_root {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::invalid(
                    format!("cannot read the ACME CA root {}: {e}", path.display()),
                    "give --acme-ca-root a readable PEM file with the CA's root certificate",
                )
            })?;
            Some(text.parse()?)
        }
    };
    Ok(Some(Some(AcmeCa {
        directory: url.parse()?,
        root,
    })))
}
