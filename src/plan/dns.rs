//! The DNS records the operator creates for a domain deployment.

use serde::Serialize;

/// The type of a DNS record selkie asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RecordKind {
    /// An IPv4 address.
    A,
    /// An IPv6 address.
    #[serde(rename = "AAAA")]
    Aaaa,
}

impl RecordKind {
    /// `A` or `AAAA`, as zone files write it.
    pub fn as_str(&self) -> &'static str {
        match self {
            RecordKind::A => "A",
            RecordKind::Aaaa => "AAAA",
        }
    }
}

impl std::fmt::Display for RecordKind {
    /// Honours width and alignment (`{:<5}`), as the DNS table's columns need.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// A DNS record the operator creates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRecord {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: RecordKind,
    pub value: String,
    pub purpose: String,
}
