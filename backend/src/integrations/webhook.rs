//! Standard Webhooks (<https://www.standardwebhooks.com>) and the outbound HTTP client.
//!
//! Signing: `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, where
//! the key is the base64-decoded part of a `whsec_...` secret; several signatures are
//! space-separated (during a secret rotation both the new and the old secret sign).
//!
//! Safety: the client never follows redirects, uses no proxy, gives up after 15 s, and never
//! connects to loopback, private, link-local (cloud metadata), unspecified, broadcast or
//! multicast addresses unless the operator allowed the network (`HANDOFF_OUTBOUND_ALLOW`). Host
//! names are checked after resolution by the client's own resolver, so a name that resolves to
//! an internal address (or starts to, after the integration was saved) is refused at connect
//! time; IP-literal hosts skip resolution and are checked before sending.
//!
//! Secrets never leave this module in an error or a log line, and errors never carry the URL
//! (a chat webhook URL is itself a credential).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use ipnet::IpNet;
use rand::RngCore;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;

/// Prefix of signing secrets (the Standard Webhooks convention).
pub const SECRET_PREFIX: &str = "whsec_";
/// How long one delivery attempt may take, connection included.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// Most of an answer read (enough for a capture); the rest is dropped unread.
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// Characters of an answer kept in the attempt log.
pub const EXCERPT_CHARS: usize = 500;
/// Oldest (or most future) `webhook-timestamp` an inbound call may carry.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// A new secret: `whsec_` and 24 random bytes in base64.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", B64.encode(bytes))
}

/// The HMAC key of a `whsec_` secret, or why the secret is unusable (without repeating it).
pub fn secret_key(secret: &str) -> Result<Vec<u8>, &'static str> {
    let body = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or("a secret starts with whsec_")?;
    let key = B64
        .decode(body)
        .map_err(|_| "the part after whsec_ must be base64")?;
    if !(24..=64).contains(&key.len()) {
        return Err("the secret must hold 24 to 64 bytes");
    }
    Ok(key)
}

fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// The `webhook-signature` header value for `body`, one `v1,` entry per secret.
pub fn signature_header(
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, &'static str> {
    let mut parts = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let key = secret_key(secret)?;
        parts.push(format!(
            "v1,{}",
            B64.encode(signature(&key, id, timestamp, body))
        ));
    }
    Ok(parts.join(" "))
}

/// Why an inbound call's signature was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum VerifyError {
    MissingHeaders,
    BadTimestamp,
    Expired,
    Mismatch,
}

impl VerifyError {
    pub fn message(&self) -> &'static str {
        match self {
            Self::MissingHeaders => {
                "this hook requires webhook-id, webhook-timestamp and webhook-signature headers"
            }
            Self::BadTimestamp => "webhook-timestamp must be unix seconds",
            Self::Expired => "webhook-timestamp is more than 5 minutes away from now",
            Self::Mismatch => "no signature matches",
        }
    }
}

/// Verifies a Standard Webhooks signature; any `v1,` entry of the header may match. The
/// comparison runs in constant time (`Mac::verify_slice`).
pub fn verify(
    secret: &str,
    id: Option<&str>,
    timestamp: Option<&str>,
    header: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), VerifyError> {
    let (Some(id), Some(ts), Some(header)) = (id, timestamp, header) else {
        return Err(VerifyError::MissingHeaders);
    };
    let ts: i64 = ts.trim().parse().map_err(|_| VerifyError::BadTimestamp)?;
    if (now_unix - ts).abs() > TOLERANCE_SECS {
        return Err(VerifyError::Expired);
    }
    let key = secret_key(secret).map_err(|_| VerifyError::Mismatch)?;
    for part in header.split_whitespace() {
        let Some(sig) = part.strip_prefix("v1,") else {
            continue;
        };
        let Ok(sig) = B64.decode(sig) else { continue };
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(ts.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        if mac.verify_slice(&sig).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::Mismatch)
}

/// Why an address may not be reached, or `None` when it is a public address.
pub fn refused_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local (cloud metadata)")
            } else if v4.is_unspecified() || o[0] == 0 {
                Some("unspecified")
            } else if v4.is_broadcast() {
                Some("broadcast")
            } else if v4.is_multicast() {
                Some("multicast")
            } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
                Some("shared (carrier-grade NAT)")
            } else if o[0] == 198 && (o[1] & 0xfe) == 18 {
                Some("benchmarking")
            } else if o[0] >= 240 {
                Some("reserved")
            } else if o[..3] == [192, 0, 0] {
                Some("protocol assignments")
            } else if matches!(o[..3], [192, 0, 2] | [198, 51, 100] | [203, 0, 113]) {
                Some("documentation")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused_reason(IpAddr::V4(v4));
            }
            if v6.is_loopback() {
                return Some("loopback");
            }
            if v6.is_unspecified() {
                return Some("unspecified");
            }
            // Forms that carry an IPv4 address reach that address through a translator or
            // tunnel: they are as internal as the address they carry.
            if let Some(v4) = embedded_ipv4(v6)
                && let Some(reason) = refused_reason(IpAddr::V4(v4))
            {
                return Some(reason);
            }
            let first = v6.segments()[0];
            if (first & 0xfe00) == 0xfc00 {
                Some("private (unique local)")
            } else if (first & 0xffc0) == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("multicast")
            } else {
                None
            }
        }
    }
}

/// The IPv4 address an IPv6 address carries: IPv4-compatible (`::a.b.c.d`, deprecated but
/// still routed by some stacks), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::/96` and the local-use `64:ff9b:1::/48`)
/// and 6to4 (`2002:AABB:CCDD::/48`).
fn embedded_ipv4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let s = v6.segments();
    let o = v6.octets();
    let last32 = || std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    let compatible = s[..6] == [0; 6] || s[..6] == [0, 0, 0, 0, 0xffff, 0];
    let nat64 = s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || s[..3] == [0x64, 0xff9b, 1];
    if compatible || nat64 {
        Some(last32())
    } else if s[0] == 0x2002 {
        Some(std::net::Ipv4Addr::new(o[2], o[3], o[4], o[5]))
    } else {
        None
    }
}

fn allowed(allow: &[IpNet], ip: IpAddr) -> Result<(), &'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    if allow.iter().any(|net| net.contains(&ip)) {
        return Ok(());
    }
    match refused_reason(ip) {
        Some(reason) => Err(reason),
        None => Ok(()),
    }
}

/// Resolves names with the system resolver and keeps only the addresses that may be reached,
/// so hyper never connects to an internal address whatever the DNS says.
struct GuardedResolver {
    allow: Arc<Vec<IpNet>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .collect();
            let mut reasons = Vec::new();
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match allowed(&allow, a.ip()) {
                    Ok(()) => true,
                    Err(r) => {
                        reasons.push(r);
                        false
                    }
                })
                .collect();
            if kept.is_empty() {
                reasons.dedup();
                return Err(format!(
                    "{host} resolves only to refused addresses ({}); allow them with HANDOFF_OUTBOUND_ALLOW",
                    reasons.join(", ")
                )
                .into());
            }
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// What an attempt got back: a status and the start of the body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    /// `Retry-After`, when the receiver sent one (seconds or an HTTP date), as a delay.
    pub retry_after: Option<Duration>,
    /// The body, at most `MAX_ANSWER_BYTES`.
    pub body: Vec<u8>,
    pub latency: Duration,
}

/// An attempt that got no answer (refused before sending, unreachable, timed out).
#[derive(Debug, Clone)]
pub struct SendError {
    pub message: String,
    pub latency: Duration,
}

/// The outbound HTTP client and the networks it may reach. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    allow: Arc<Vec<IpNet>>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("allow", &self.allow)
            .finish_non_exhaustive()
    }
}

impl Outbound {
    pub fn new(allow: Vec<IpNet>) -> anyhow::Result<Self> {
        let allow = Arc::new(allow);
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(DELIVERY_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .dns_resolver(GuardedResolver {
                allow: allow.clone(),
            })
            .user_agent(concat!("Handoff-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { allow, client })
    }

    /// Checks a URL's form: http or https, a host, and an IP-literal host that may be reached.
    pub fn check_form(&self, url: &str) -> Result<Url, String> {
        let parsed = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("use an http or https URL".into());
        }
        match parsed.host() {
            None => return Err("the URL needs a host".into()),
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip))?,
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip))?,
            Some(url::Host::Domain(_)) => {}
        }
        Ok(parsed)
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), String> {
        allowed(&self.allow, ip).map_err(|reason| {
            format!("{ip} is a {reason} address; allow it with HANDOFF_OUTBOUND_ALLOW")
        })
    }

    /// The save-time check: the form, then every address the host resolves to.
    pub async fn check_url(&self, url: &str) -> Result<(), String> {
        let parsed = self.check_form(url)?;
        let Some(url::Host::Domain(host)) = parsed.host() else {
            return Ok(());
        };
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| format!("cannot resolve {host}"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("{host} has no address"));
        }
        for a in addrs {
            self.check_ip(a.ip())
                .map_err(|e| format!("{host} resolves to {e}"))?;
        }
        Ok(())
    }

    /// POSTs a JSON body. Never follows a redirect (a 3xx is an answer like any other).
    pub async fn post_json(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<Answer, SendError> {
        let started = Instant::now();
        let fail = |message: String| SendError {
            message,
            latency: started.elapsed(),
        };
        let parsed = self.check_form(url).map_err(fail)?;
        let mut req = self
            .client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        let mut resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| fail(describe(&e)))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let mut answer = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_ANSWER_BYTES - answer.len();
                    answer.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    if answer.len() >= MAX_ANSWER_BYTES {
                        break;
                    }
                }
                Ok(None) => break,
                // The status arrived: a body cut short is still an answer.
                Err(_) => break,
            }
        }
        Ok(Answer {
            status,
            retry_after,
            body: answer,
            latency: started.elapsed(),
        })
    }
}

/// `Retry-After` as seconds or an HTTP date, as a delay from now.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

/// An error without its URL, with the cause that matters ("connection refused", "resolves only
/// to refused addresses").
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("timed out after {} s", DELIVERY_TIMEOUT.as_secs());
    }
    let mut innermost = None;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        innermost = Some(s.to_string());
        source = s.source();
    }
    let kind = if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    match innermost {
        Some(cause) => format!("{kind}: {cause}"),
        None => kind.to_owned(),
    }
}

/// The start of an answer as text, for the attempt log.
pub fn excerpt(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(body);
    Some(text.chars().take(EXCERPT_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_only() {
        let secret = generate_secret();
        let other = generate_secret();
        let header = signature_header(&[&secret], "msg_1", 1_700_000_000, b"{}").unwrap();
        assert!(header.starts_with("v1,"));
        let ok = verify(
            &secret,
            Some("msg_1"),
            Some("1700000000"),
            Some(&header),
            b"{}",
            1_700_000_010,
        );
        assert_eq!(ok, Ok(()));
        let wrong = verify(
            &other,
            Some("msg_1"),
            Some("1700000000"),
            Some(&header),
            b"{}",
            1_700_000_010,
        );
        assert_eq!(wrong, Err(VerifyError::Mismatch));
        let tampered = verify(
            &secret,
            Some("msg_1"),
            Some("1700000000"),
            Some(&header),
            b"{ }",
            1_700_000_010,
        );
        assert_eq!(tampered, Err(VerifyError::Mismatch));
        let old = verify(
            &secret,
            Some("msg_1"),
            Some("1700000000"),
            Some(&header),
            b"{}",
            1_700_000_000 + 301,
        );
        assert_eq!(old, Err(VerifyError::Expired));
    }

    #[test]
    fn the_standard_webhooks_example_verifies() {
        // The example of the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let header =
            signature_header(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(header, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn internal_addresses_are_refused_unless_allowed() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::",
            "::127.0.0.1",
            "::a9fe:a9fe",
            "::ffff:0:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::7f00:1",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "198.18.0.1",
            "198.19.255.254",
            "240.0.0.1",
            "250.1.2.3",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(allowed(&[], ip).is_err(), "{ip} should be refused");
        }
        for ip in [
            "93.184.216.34",
            "2606:2800:220:1::1",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "198.20.0.1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(allowed(&[], ip).is_ok(), "{ip} should be allowed");
        }
        let allow: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        assert!(allowed(&allow, "127.0.0.1".parse().unwrap()).is_ok());
        assert!(allowed(&allow, "::ffff:127.0.0.1".parse().unwrap()).is_ok());
        assert!(allowed(&allow, "127.0.0.2".parse().unwrap()).is_err());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        let later = std::time::SystemTime::now() + Duration::from_secs(3600);
        let date = httpdate::fmt_http_date(later);
        let d = parse_retry_after(&date).unwrap();
        assert!(d > Duration::from_secs(3500) && d <= Duration::from_secs(3600));
        assert_eq!(parse_retry_after("soon"), None);
    }
}
