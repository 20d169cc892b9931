//! Who is at the other end of a request: the client's address, and whether it
//! reached Pulse over HTTPS and at which host.
//!
//! Behind a reverse proxy the TCP peer is the proxy, and the client is named by
//! the proxy's `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`
//! headers. Anyone can send those headers, so they are believed only when the
//! peer is one of the trusted proxies (`pulse serve --trusted-proxies CIDR,...`,
//! none by default). The client's address is then the right-most address of
//! `X-Forwarded-For` that is not itself a trusted proxy (every address to its
//! right was added by a proxy Pulse trusts; the ones to its left were sent by
//! the client and prove nothing).
//!
//! [`ClientInfo`] is derived once per request by [`layer`], in front of the API
//! router (so the API calls a page makes in-process, which carry the page
//! request's peer and headers, derive the same), and every handler that needs
//! the client's address, scheme or host takes it as an extractor.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{header, request::Parts, HeaderMap},
    middleware::Next,
    response::Response,
};

use crate::http::state::AppState;

/// One network: an address and how many of its leading bits are fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    bits: u8,
}

impl Cidr {
    fn parse(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (address, bits) = match text.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an address or a network such as 10.0.0.0/8"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let bits =
            match bits {
                None => max,
                Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| {
                    format!("{text:?}: the prefix length must be from 0 to {max}")
                })?,
            };
        Ok(Cidr { network, bits })
    }

    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The proxies whose `X-Forwarded-*` headers Pulse believes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// None: no `X-Forwarded-*` header is believed.
    pub fn none() -> TrustedProxies {
        TrustedProxies(Vec::new())
    }

    /// Networks separated by commas: `127.0.0.1/32,10.0.0.0/8,::1` (a bare
    /// address is that one address). An empty list trusts nobody.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Cidr::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|c| c.contains(address))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let networks: Vec<String> = self
            .0
            .iter()
            .map(|c| format!("{}/{}", c.network, c.bits))
            .collect();
        f.write_str(&networks.join(","))
    }
}

impl std::str::FromStr for TrustedProxies {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TrustedProxies::parse(s)
    }
}

/// The client of a request, as far as Pulse may believe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's address: the TCP peer, or behind trusted proxies the one
    /// they name. `None` when the request has no peer (made in-process).
    pub address: Option<IpAddr>,
    /// Whether the client reached Pulse over HTTPS (only a trusted proxy can
    /// say so: Pulse itself speaks plain HTTP).
    pub https: bool,
    /// The host the client asked for: a trusted proxy's `X-Forwarded-Host`,
    /// else `Host` (checked to be a plain host name or address, with a port).
    pub host: Option<String>,
}

/// Every value of a header, comma-separated lists split, in order.
fn values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect()
}

/// An address of `X-Forwarded-For`, with or without a port.
fn forwarded_address(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    text.parse::<IpAddr>()
        .ok()
        .or_else(|| text.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|a| a.to_canonical())
}

fn plain_host(host: &str) -> Option<String> {
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ok.then(|| host.to_string())
}

impl ClientInfo {
    /// The client of a request that came from `peer` with `headers`: the one
    /// function that reads `X-Forwarded-*`.
    pub fn derive(proxies: &TrustedProxies, peer: Option<IpAddr>, headers: &HeaderMap) -> Self {
        let peer = peer.map(|p| p.to_canonical());
        let behind_proxy = peer.is_some_and(|p| proxies.trusts(p));
        let direct_host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .and_then(plain_host);
        if !behind_proxy {
            return ClientInfo {
                address: peer,
                https: false,
                host: direct_host,
            };
        }
        // From the right: every address a trusted proxy added, up to the
        // first one that is not a trusted proxy, which is the client.
        let mut address = peer;
        for hop in values(headers, "x-forwarded-for").into_iter().rev() {
            if address.is_some_and(|a| !proxies.trusts(a)) {
                break;
            }
            match forwarded_address(hop) {
                Some(a) => address = Some(a),
                None => break,
            }
        }
        // The value the nearest proxy set (or appended).
        let proto = values(headers, "x-forwarded-proto").pop();
        let host = values(headers, "x-forwarded-host")
            .pop()
            .and_then(plain_host)
            .or(direct_host);
        ClientInfo {
            address,
            https: proto.is_some_and(|p| p.eq_ignore_ascii_case("https")),
            host,
        }
    }

    /// The client's address as text, `local` for a request without a peer.
    pub fn address_text(&self) -> String {
        self.address
            .map(|a| a.to_string())
            .unwrap_or_else(|| "local".into())
    }

    /// `http(s)://host[:port]`: the address the client reached Pulse at.
    pub fn base_url(&self) -> String {
        format!(
            "{}://{}",
            if self.https { "https" } else { "http" },
            self.host.as_deref().unwrap_or("127.0.0.1:3000")
        )
    }

    fn of_parts(state: &AppState, parts: &Parts) -> Self {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        ClientInfo::derive(&state.trusted_proxies, peer, &parts.headers)
    }
}

/// Derives the request's [`ClientInfo`] once and keeps it in its extensions.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    if parts.extensions.get::<ClientInfo>().is_none() {
        let client = ClientInfo::of_parts(&state, &parts);
        parts.extensions.insert(client);
    }
    next.run(Request::from_parts(parts, body)).await
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(match parts.extensions.get::<ClientInfo>() {
            Some(client) => client.clone(),
            None => ClientInfo::of_parts(state, parts),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn networks_are_parsed_and_matched() {
        let p = TrustedProxies::parse("127.0.0.1/32, 10.0.0.0/8,::1,fd00::/8").unwrap();
        assert!(p.trusts("127.0.0.1".parse().unwrap()));
        assert!(!p.trusts("127.0.0.2".parse().unwrap()));
        assert!(p.trusts("10.200.3.4".parse().unwrap()));
        assert!(p.trusts("::1".parse().unwrap()));
        assert!(p.trusts("fd12::5".parse().unwrap()));
        // An IPv4 peer seen through an IPv6 socket.
        assert!(p.trusts("::ffff:10.1.1.1".parse().unwrap()));
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .trusts("8.8.8.8".parse().unwrap()));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("proxy.example").is_err());
    }

    #[test]
    fn forwarded_headers_are_ignored_from_an_untrusted_peer() {
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "evil.example"),
            ("host", "pulse.example:3000"),
        ]);
        let c = ClientInfo::derive(&TrustedProxies::none(), ip("203.0.113.9"), &h);
        assert_eq!(c.address, ip("203.0.113.9"));
        assert!(!c.https);
        assert_eq!(c.base_url(), "http://pulse.example:3000");
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_address_is_the_client() {
        let p = TrustedProxies::parse("127.0.0.1/32,10.0.0.0/8").unwrap();
        // The client forged the first entry; the proxy appended the real one.
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
            ("x-forwarded-for", "10.0.0.3"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "pulse.example.gov"),
        ]);
        let c = ClientInfo::derive(&p, ip("127.0.0.1"), &h);
        assert_eq!(c.address, ip("198.51.100.7"));
        assert!(c.https);
        assert_eq!(c.base_url(), "https://pulse.example.gov");
        // Only proxies in the chain: the left-most.
        let h = headers(&[("x-forwarded-for", "10.0.0.9, 10.0.0.3")]);
        assert_eq!(
            ClientInfo::derive(&p, ip("127.0.0.1"), &h).address,
            ip("10.0.0.9")
        );
        // No header: the peer.
        let c = ClientInfo::derive(&p, ip("127.0.0.1"), &HeaderMap::new());
        assert_eq!(c.address, ip("127.0.0.1"));
        // Garbage stops the walk at the last trusted hop.
        let h = headers(&[("x-forwarded-for", "nonsense, 10.0.0.3")]);
        assert_eq!(
            ClientInfo::derive(&p, ip("127.0.0.1"), &h).address,
            ip("10.0.0.3")
        );
        // With a port.
        let h = headers(&[("x-forwarded-for", "198.51.100.7:5555")]);
        assert_eq!(
            ClientInfo::derive(&p, ip("127.0.0.1"), &h).address,
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_host_with_odd_characters_is_not_believed() {
        let p = TrustedProxies::parse("127.0.0.1").unwrap();
        let h = headers(&[
            ("x-forwarded-host", "a.example/<script>"),
            ("host", "b.example"),
        ]);
        assert_eq!(
            ClientInfo::derive(&p, ip("127.0.0.1"), &h).host.as_deref(),
            Some("b.example")
        );
    }
}
