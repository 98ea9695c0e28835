//! The client address behind a reverse proxy: `Forwarded` (RFC 7239) and `X-Forwarded-For`,
//! believed only from peers in the trusted CIDRs.
//!
//! Anyone can send these headers, so they are read only when the TCP peer itself is a proxy
//! the operator named; otherwise the peer is the client. The chain is walked from the right
//! (the hop nearest to us) past every trusted proxy; the first address that is not one is the
//! client. An entry that is not an address (`unknown`, an obfuscated `_name`, garbage) stops
//! the walk at the last hop that was, since nothing left of it can be verified.
//!
//! Pure functions over header values, so the doors only pass strings in.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`, `::1/128`) or bare addresses; each item may itself be a
    /// comma-separated list, as in `--trusted-proxy 10.0.0.1,10.0.0.2`.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, String> {
        let mut nets = Vec::new();
        for part in items.iter().flat_map(|s| s.as_ref().split(',')) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let net = IpNet::from_str(part)
                .or_else(|_| IpAddr::from_str(part).map(IpNet::from))
                .map_err(|_| format!("not a CIDR or an IP address: {part:?}"))?;
            nets.push(net);
        }
        Ok(TrustedProxies { nets })
    }

    /// Whether no proxy is trusted (the headers are always ignored).
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    /// Whether `ip` is one of the trusted proxies.
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client's address for a request from `peer` carrying these `Forwarded` and
    /// `X-Forwarded-For` values (each header's lines in order). `Forwarded` wins when both
    /// are present.
    pub fn client<'a>(
        &self,
        peer: IpAddr,
        forwarded: impl IntoIterator<Item = &'a str>,
        x_forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let mut chain: Vec<&str> = forwarded
            .into_iter()
            .flat_map(|v| v.split(','))
            .filter_map(forwarded_for)
            .collect();
        if chain.is_empty() {
            chain = x_forwarded_for
                .into_iter()
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .collect();
        }
        let mut client = peer;
        for hop in chain.iter().rev() {
            let Some(ip) = parse_node(hop) else { break };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// The `for=` value of one `Forwarded` element (`for=1.2.3.4;proto=https`), if any.
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
    })
}

/// An address from a chain entry: `1.2.3.4`, `"1.2.3.4:80"`, `"[::1]:80"`, `::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(ip) = IpAddr::from_str(node) {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = SocketAddr::from_str(node) {
        return Some(sa.ip().to_canonical());
    }
    let bracketed = node.strip_prefix('[')?.split(']').next()?;
    IpAddr::from_str(bracketed).ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted() -> TrustedProxies {
        TrustedProxies::parse(&["10.0.0.0/8,127.0.0.1", "::1/128"]).unwrap()
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let t = trusted();
        let got = t.client(ip("192.0.2.9"), ["for=203.0.113.5"], ["203.0.113.6"]);
        assert_eq!(got, ip("192.0.2.9"));
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("127.0.0.1"), [], ["203.0.113.6"]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn a_trusted_peer_names_the_client_past_every_trusted_hop() {
        let t = trusted();
        let xff = ["198.51.100.1, 203.0.113.6", "10.1.2.3"];
        assert_eq!(t.client(ip("127.0.0.1"), [], xff), ip("203.0.113.6"));
        let fwd = [r#"for="[2001:db8::7]:4711";proto=https, for=10.9.9.9"#];
        assert_eq!(t.client(ip("::1"), fwd, ["203.0.113.6"]), ip("2001:db8::7"));
        assert_eq!(
            t.client(ip("::ffff:10.0.0.2"), [r#"For="192.0.2.43:47011""#], []),
            ip("192.0.2.43")
        );
    }

    #[test]
    fn an_unverifiable_hop_stops_the_walk() {
        let t = trusted();
        assert_eq!(
            t.client(ip("10.0.0.1"), ["for=unknown, for=10.0.0.5"], []),
            ip("10.0.0.5")
        );
        assert_eq!(t.client(ip("10.0.0.1"), [], ["garbage"]), ip("10.0.0.1"));
    }

    #[test]
    fn parse_rejects_what_is_not_a_network() {
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example"]).is_err());
        assert!(TrustedProxies::parse::<&str>(&[]).unwrap().is_empty());
    }
}
