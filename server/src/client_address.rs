//! Who is calling, as an address: what the sign-in limits count and the security log
//! writes. Behind a reverse proxy the peer is the proxy, and the caller is in
//! `X-Forwarded-For`, where every hop appends the address it took the request from: the
//! entries a client wrote itself come first, so only those the trusted proxies added,
//! read from the right, can be believed (`--trusted-proxy`, README "Deploy").

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// The proxies whose `X-Forwarded-For` entries are believed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl Default for TrustedProxies {
    /// A proxy on this machine (nginx in front of the app on the same host).
    fn default() -> Self {
        TrustedProxies(vec![
            "127.0.0.0/8".parse().unwrap_or_else(|_| unreachable!()),
            "::1/128".parse().unwrap_or_else(|_| unreachable!()),
        ])
    }
}

impl TrustedProxies {
    /// Addresses or networks (`10.0.0.5`, `10.0.0.0/24`); an empty list trusts none.
    pub fn parse(list: &[String]) -> Result<Self, String> {
        list.iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("not an address or network: {s}"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The caller: the right-most address that is not a trusted proxy, walking from the
    /// peer back through `X-Forwarded-For`; an entry that is no address stops the walk
    /// at the hop that wrote it.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut caller = canonical(peer);
        if !self.trusts(caller) {
            return caller;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                return caller;
            };
            caller = canonical(ip);
            if !self.trusts(caller) {
                return caller;
            }
        }
        caller
    }
}

/// An IPv4 address written as IPv6 (`::ffff:10.0.0.5`, as a dual-stack socket reports
/// it) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                "x-forwarded-for",
                v.parse().unwrap_or_else(|e| panic!("{e}")),
            );
        }
        h
    }

    #[test]
    fn behind_nginx_the_client_cannot_choose_its_address() {
        let local = TrustedProxies::default();
        // nginx's $proxy_add_x_forwarded_for: what the client sent, then its peer.
        let h = forwarded(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(local.client(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        // Garbage written by the client is left of the real address: never reached.
        let h = forwarded(&["'; DROP TABLE --, 203.0.113.7"]);
        assert_eq!(local.client(ip("127.0.0.1"), &h), ip("203.0.113.7"));
        // Without a proxy, nothing the client writes counts.
        assert_eq!(
            local.client(ip("198.51.100.2"), &forwarded(&["127.0.0.1"])),
            ip("198.51.100.2")
        );
        // A proxy that sends none: the proxy is the caller.
        assert_eq!(
            local.client(ip("127.0.0.1"), &HeaderMap::new()),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_chain_of_trusted_proxies_is_walked_from_the_right() {
        let chain = TrustedProxies::parse(&["10.0.0.0/24".into(), " 192.0.2.9 ".into()])
            .unwrap_or_else(|e| panic!("{e}"));
        let h = forwarded(&["1.2.3.4", "198.51.100.20, 10.0.0.3"]);
        assert_eq!(chain.client(ip("192.0.2.9"), &h), ip("198.51.100.20"));
        assert_eq!(
            chain.client(ip("::ffff:192.0.2.9"), &forwarded(&["10.0.0.7"])),
            ip("10.0.0.7")
        );
        // Loopback is no longer trusted once a list is given without it.
        assert_eq!(
            chain.client(ip("127.0.0.1"), &forwarded(&["1.2.3.4"])),
            ip("127.0.0.1")
        );
        assert!(TrustedProxies::parse(&["nginx".into()]).is_err());
        assert_eq!(
            TrustedProxies::parse(&[]).map(|t| t.client(ip("127.0.0.1"), &forwarded(&["1.2.3.4"]))),
            Ok(ip("127.0.0.1"))
        );
    }
}
