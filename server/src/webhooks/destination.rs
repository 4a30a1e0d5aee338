//! Where webhooks may go. Link-local (cloud metadata), unspecified, broadcast and multicast
//! addresses are refused always; loopback and private ranges unless `allow_private`. A host name
//! is resolved once by [`CheckedResolver`], every address it resolves to is checked, and the
//! connection goes only to the checked addresses (no second lookup a DNS rebinding could answer
//! differently). URLs with `user:password@` are refused.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a destination is refused. Its text is what the delivery log and a test delivery show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The URL carries a user name or password.
    #[error("the URL carries user:password@; put credentials in the receiver, not in the URL")]
    Credentials,
    /// An address webhooks never go to (link-local and cloud metadata, multicast, unspecified).
    #[error("{addr} is a {range} address; webhooks never go there")]
    Forbidden {
        /// The refused address.
        addr: IpAddr,
        /// Which range it is in.
        range: &'static str,
    },
    /// A loopback or private address while `lightning_webhook_allow_private` is false.
    #[error("{addr} is a {range} address; set lightning_webhook_allow_private true (openfatture config set) to deliver to it")]
    Private {
        /// The refused address.
        addr: IpAddr,
        /// Which range it is in.
        range: &'static str,
    },
}

/// What an address is, for webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// A public address.
    Public,
    /// Loopback or a private range (allowed only with `allow_private`); the range's name.
    Private(&'static str),
    /// Never a webhook destination; the range's name.
    Forbidden(&'static str),
}

/// Classifies an IPv4 address.
fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, ..] = ip.octets();
    if ip.is_link_local() {
        AddressClass::Forbidden("link-local (cloud metadata)")
    } else if a == 0 {
        AddressClass::Forbidden("unspecified (0.0.0.0/8)")
    } else if ip.is_multicast() {
        AddressClass::Forbidden("multicast")
    } else if ip.is_broadcast() || a >= 240 {
        AddressClass::Forbidden("reserved (240.0.0.0/4)")
    } else if ip.is_loopback() {
        AddressClass::Private("loopback")
    } else if ip.is_private() {
        AddressClass::Private("private (RFC 1918)")
    } else if a == 100 && (64..128).contains(&b) {
        AddressClass::Private("shared (100.64.0.0/10)")
    } else {
        AddressClass::Public
    }
}

/// Classifies an address; IPv4-mapped and IPv4-compatible IPv6 addresses as their IPv4 address.
pub fn classify(ip: IpAddr) -> AddressClass {
    let v6 = match ip {
        IpAddr::V4(v4) => return classify_v4(v4),
        IpAddr::V6(v6) => v6,
    };
    if let Some(v4) = v6.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let segments = v6.segments();
    if v6.is_unspecified() {
        return AddressClass::Forbidden("unspecified (::)");
    }
    if v6.is_loopback() {
        return AddressClass::Private("loopback");
    }
    // ::a.b.c.d (deprecated IPv4-compatible form).
    if segments[..6] == [0; 6] {
        let [_, _, _, _, _, _, hi, lo] = segments;
        let v4 = Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
        return classify_v4(v4);
    }
    match segments[0] {
        s if s & 0xffc0 == 0xfe80 => AddressClass::Forbidden("link-local (fe80::/10)"),
        s if s & 0xff00 == 0xff00 => AddressClass::Forbidden("multicast"),
        s if s & 0xfe00 == 0xfc00 => AddressClass::Private("unique local (fc00::/7)"),
        s if s & 0xffc0 == 0xfec0 => AddressClass::Private("site-local (fec0::/10)"),
        _ => AddressClass::Public,
    }
}

/// Accepts `ip` as a webhook destination, or says why not.
pub fn check_ip(ip: IpAddr, allow_private: bool) -> Result<(), Refused> {
    match classify(ip) {
        AddressClass::Public => Ok(()),
        AddressClass::Private(_) if allow_private => Ok(()),
        AddressClass::Private(range) => Err(Refused::Private { addr: ip, range }),
        AddressClass::Forbidden(range) => Err(Refused::Forbidden { addr: ip, range }),
    }
}

/// Checks what can be checked of a URL without resolving it: no `user:password@`, and an IP
/// literal host must be an acceptable address (names are checked by [`CheckedResolver`]).
pub fn check_url(url: &reqwest::Url, allow_private: bool) -> Result<(), Refused> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    let host = url.host_str().unwrap_or_default();
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    match literal.parse::<IpAddr>() {
        Ok(ip) => check_ip(ip, allow_private),
        Err(_) => Ok(()),
    }
}

/// Resolves a host name and answers only if every address it resolves to is acceptable: the
/// HTTP client then connects to exactly those addresses.
#[derive(Debug, Clone, Copy)]
pub struct CheckedResolver {
    /// Loopback and private addresses are acceptable.
    pub allow_private: bool,
}

impl CheckedResolver {
    /// The resolver as the HTTP client takes it.
    pub fn shared(allow_private: bool) -> Arc<CheckedResolver> {
        Arc::new(CheckedResolver { allow_private })
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for addr in &found {
                check_ip(addr.ip(), allow_private)?;
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// The [`Refused`] somewhere in an error's chain of causes, if any.
pub fn refusal_in(error: &(dyn std::error::Error + 'static)) -> Option<Refused> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(refused) = e.downcast_ref::<Refused>() {
            return Some(refused.clone());
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> IpAddr {
        IpAddr::V4(text.parse().expect("ipv4"))
    }

    fn v6(text: &str) -> IpAddr {
        IpAddr::V6(text.parse::<std::net::Ipv6Addr>().expect("ipv6"))
    }

    #[test]
    fn ranges_are_classified() {
        for forbidden in ["169.254.169.254", "0.0.0.0", "224.0.0.1", "255.255.255.255"] {
            assert!(
                matches!(classify(v4(forbidden)), AddressClass::Forbidden(_)),
                "{forbidden}"
            );
        }
        for forbidden in [
            "fe80::1",
            "::",
            "ff02::1",
            "::ffff:169.254.169.254",
            "::169.254.169.254",
        ] {
            assert!(
                matches!(classify(v6(forbidden)), AddressClass::Forbidden(_)),
                "{forbidden}"
            );
        }
        for private in [
            "127.0.0.1",
            "127.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
        ] {
            assert!(matches!(classify(v4(private)), AddressClass::Private(_)), "{private}");
        }
        for private in ["::1", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"] {
            assert!(matches!(classify(v6(private)), AddressClass::Private(_)), "{private}");
        }
        for public in ["1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "8.8.8.8"] {
            assert_eq!(classify(v4(public)), AddressClass::Public, "{public}");
        }
        for public in ["2001:4860:4860::8888", "::ffff:8.8.8.8"] {
            assert_eq!(classify(v6(public)), AddressClass::Public, "{public}");
        }
    }

    #[test]
    fn forbidden_stays_forbidden_with_allow_private() {
        assert!(check_ip(v4("169.254.169.254"), true).is_err());
        assert!(check_ip(v4("127.0.0.1"), true).is_ok());
        assert!(check_ip(v4("127.0.0.1"), false).is_err());
    }

    #[test]
    fn credentials_and_ip_literals_are_checked_in_urls() {
        let url = |text: &str| reqwest::Url::parse(text).expect("url");
        assert_eq!(
            check_url(&url("https://u:p@example.com/x"), true),
            Err(Refused::Credentials)
        );
        assert_eq!(
            check_url(&url("https://u@example.com/x"), true),
            Err(Refused::Credentials)
        );
        assert!(check_url(&url("http://[::ffff:a9fe:a9fe]/x"), true).is_err());
        assert!(
            check_url(&url("http://2130706433/x"), false).is_err(),
            "127.0.0.1 as a number"
        );
        assert!(check_url(&url("https://example.com/x"), false).is_ok());
    }
}
