//! Which cipher suites the doors offer, in which order.
//!
//! rustls' `ring` provider lists AES-256-GCM first, and a server that follows the client's
//! order gets it from curl, OpenSSL and reqwest alike. On CPUs with AES instructions
//! AES-128-GCM gives the same authenticated encryption with 128-bit keys in fewer rounds, and
//! a bulk transfer spends most of its TLS time there: every byte is encrypted by the server
//! and decrypted by a client that, in a verified download, is also busy hashing. So the server
//! chooses, AES-128-GCM first (as Go's and Chrome's defaults do), then ChaCha20-Poly1305 for
//! clients that only speak it, then AES-256-GCM. Every suite of the provider stays on offer:
//! only the order changes, so no client that connected before is refused now.

use rustls::SupportedCipherSuite;
use rustls::crypto::CryptoProvider;
use rustls::crypto::ring::cipher_suite as suite;

/// The `ring` provider with the server's preference order.
pub fn server_provider() -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites.sort_by_key(rank);
    provider
}

/// Lower ranks are preferred; suites not named keep their place after the named ones.
fn rank(s: &SupportedCipherSuite) -> usize {
    const ORDER: [SupportedCipherSuite; 9] = [
        suite::TLS13_AES_128_GCM_SHA256,
        suite::TLS13_CHACHA20_POLY1305_SHA256,
        suite::TLS13_AES_256_GCM_SHA384,
        suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ];
    ORDER
        .iter()
        .position(|o| o.suite() == s.suite())
        .unwrap_or(ORDER.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_128_gcm_comes_first_and_no_suite_is_dropped() {
        let default = rustls::crypto::ring::default_provider().cipher_suites;
        let ours = server_provider().cipher_suites;
        assert_eq!(ours.len(), default.len());
        assert_eq!(ours[0].suite(), suite::TLS13_AES_128_GCM_SHA256.suite());
        for s in &default {
            assert!(
                ours.iter().any(|o| o.suite() == s.suite()),
                "{:?} kept",
                s.suite()
            );
        }
    }
}
