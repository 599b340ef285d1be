//! Where the server may send a push (server only). A device's subscription names the
//! address the server posts to, and any signed-in user can hand one in: without these
//! rules they could make the server post into the office network and read its answers.
//! A push goes only to the push services browsers use (a list the administrator can
//! extend, `--push-service`), and only to public addresses once the name is resolved.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The push services of the browsers people use: Chrome, Edge on Android and most
/// Chromium browsers (FCM), Firefox (Mozilla's autopush), Safari (Apple), Edge on
/// Windows (WNS). A host matches an entry that is the host itself or a domain it is in.
pub const BROWSER_PUSH_SERVICES: [&str; 4] = [
    "fcm.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
];

/// The push services a deployment sends to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushServices {
    /// Hosts (and the domains under them) pushes may go to.
    pub hosts: Vec<String>,
    /// Also plain `http://` to this machine: only the tests' push service on loopback.
    pub loopback: bool,
}

impl Default for PushServices {
    fn default() -> Self {
        PushServices::with(&[])
    }
}

impl PushServices {
    /// The browsers' services and the administrator's own (e.g. a push service run
    /// inside the government network).
    pub fn with(extra: &[String]) -> Self {
        let mut hosts: Vec<String> = BROWSER_PUSH_SERVICES.map(String::from).to_vec();
        for host in extra {
            let host = host.trim().trim_matches('.').to_ascii_lowercase();
            if !host.is_empty() && !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        PushServices {
            hosts,
            loopback: false,
        }
    }

    /// The browsers' services and a push service on this machine (tests only).
    pub fn and_loopback() -> Self {
        PushServices {
            loopback: true,
            ..PushServices::default()
        }
    }

    /// Whether a push may be posted to this endpoint: `https://` on a listed service,
    /// or (tests only) this machine. An address written as a number is never a
    /// service's: it is refused whatever it is.
    pub fn allow(&self, endpoint: &reqwest::Url) -> bool {
        let Some(host) = endpoint.host_str() else {
            return false;
        };
        let number = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if self.loopback {
            let local = number.map_or(host == "localhost", |ip| ip.is_loopback());
            if local && matches!(endpoint.scheme(), "http" | "https") {
                return true;
            }
        }
        if number.is_some() {
            return false;
        }
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        endpoint.scheme() == "https"
            && endpoint.username().is_empty()
            && endpoint.password().is_none()
            && self.hosts.iter().any(|h| {
                name == *h
                    || name
                        .strip_suffix(h.as_str())
                        .is_some_and(|rest| rest.ends_with('.'))
            })
    }

    /// Whether a push may connect to this address once the service's name is resolved:
    /// public addresses only (loopback too for the tests' service).
    pub fn reachable(&self, ip: IpAddr) -> bool {
        is_public(ip) || (self.loopback && ip.is_loopback())
    }
}

/// An address on the public internet: not this machine, not a private, shared
/// (carrier NAT), link-local, documentation, benchmarking, multicast or reserved one,
/// and not one of those written as IPv6 (mapped, NAT64).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        // IPv4-compatible (::a.b.c.d, deprecated) and the rest of ::/96.
        || s[..6] == [0, 0, 0, 0, 0, 0])
}

/// A name resolver for the push client that keeps only the addresses a push may
/// reach: a service's name that resolves into the office network connects nowhere.
pub struct PushResolver(pub PushServices);

impl reqwest::dns::Resolve for PushResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let services = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| services.reachable(a.ip()))
                .collect();
            if found.is_empty() {
                return Err("the push service's name has no public address".into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> reqwest::Url {
        reqwest::Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn pushes_go_to_the_browsers_services_only() {
        let p = PushServices::default();
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://updates.push.services.mozilla.com/wpush/v2/abc",
            "https://web.push.apple.com/QGx",
            "https://wns2-par02p.notify.windows.com/w/?token=x",
            "https://FCM.googleapis.com./fcm/send/abc",
        ] {
            assert!(p.allow(&url(ok)), "{ok}");
        }
        for refused in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://evilfcm.googleapis.com.attacker.example/x",
            "https://notfcm.googleapis.com/x",
            "https://xpush.apple.com/x",
            "https://10.0.0.8/push",
            "https://127.0.0.1/push",
            "http://127.0.0.1:9/push",
            "https://[::1]/push",
            "https://intranet.local/push",
            "https://user:pw@fcm.googleapis.com/x",
        ] {
            assert!(!p.allow(&url(refused)), "{refused}");
        }
    }

    #[test]
    fn the_administrators_own_service_is_added_and_loopback_is_for_tests() {
        let p = PushServices::with(&[" Push.Gov.Example. ".into(), String::new()]);
        assert!(p.allow(&url("https://push.gov.example/x")));
        assert!(p.allow(&url("https://a.push.gov.example/x")));
        assert!(p.allow(&url("https://fcm.googleapis.com/x")));
        assert!(!p.allow(&url("http://127.0.0.1:9/push")));
        let t = PushServices::and_loopback();
        assert!(t.allow(&url("http://127.0.0.1:9/push")));
        assert!(t.allow(&url("http://localhost:9/push")));
        assert!(t.allow(&url("http://[::1]:9/push")));
        assert!(!t.allow(&url("http://10.0.0.8/push")));
        assert!(!t.allow(&url("http://192.168.1.1/push")));
    }

    #[test]
    fn only_public_addresses_are_reached() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or_else(|e| panic!("{s}: {e}"));
        for public in ["142.250.1.95", "8.8.8.8", "2a00:1450:4001::200a", "1.1.1.1"] {
            assert!(is_public(ip(public)), "{public}");
        }
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "192.0.0.8",
            "198.18.0.1",
            "203.0.113.5",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
            "::10.0.0.1",
            "2001:db8::1",
            "ff02::1",
        ] {
            assert!(!is_public(ip(private)), "{private}");
        }
        let t = PushServices::and_loopback();
        assert!(t.reachable(ip("127.0.0.1")));
        assert!(!t.reachable(ip("10.0.0.1")));
        assert!(!PushServices::default().reachable(ip("127.0.0.1")));
    }
}
