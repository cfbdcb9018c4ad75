//! Telegram's data-center addresses, production and test, IPv4 and IPv6 (spec/conversions.md §6).
//!
//! The table is the one Pyrogram 2.0.106 ships in `pyrogram/session/internals/data_center.py`
//! (`DataCenter.PROD`, `TEST`, `PROD_IPV6`, `TEST_IPV6`); the production DC 2 addresses are also
//! Telethon 1.45's `DEFAULT_IPV4_IP`/`DEFAULT_IPV6_IP`, and the test DC 2 address is the one
//! my.telegram.org lists for the test configuration. Media-only addresses are left out: a
//! session's home server is never one. Every entry listens on port 443.

use std::net::IpAddr;

/// The port every entry of the table listens on.
pub const PORT: u16 = 443;

/// One row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataCenter {
    /// The data center's id.
    pub dc_id: u8,
    /// Whether it belongs to Telegram's test servers.
    pub test_mode: bool,
    /// Its IPv4 address.
    pub ipv4: &'static str,
    /// Its IPv6 address, in the compressed form.
    pub ipv6: &'static str,
}

/// The table (spec/conversions.md §6), production first.
pub const TABLE: [DataCenter; 9] = [
    dc(1, false, "149.154.175.53", "2001:b28:f23d:f001::a"),
    dc(2, false, "149.154.167.51", "2001:67c:4e8:f002::a"),
    dc(3, false, "149.154.175.100", "2001:b28:f23d:f003::a"),
    dc(4, false, "149.154.167.91", "2001:67c:4e8:f004::a"),
    dc(5, false, "91.108.56.130", "2001:b28:f23f:f005::a"),
    dc(203, false, "91.105.192.100", "2a0a:f280:203:a:5000::100"),
    dc(1, true, "149.154.175.10", "2001:b28:f23d:f001::e"),
    dc(2, true, "149.154.167.40", "2001:67c:4e8:f002::e"),
    dc(3, true, "149.154.175.117", "2001:b28:f23d:f003::e"),
];

const fn dc(dc_id: u8, test_mode: bool, ipv4: &'static str, ipv6: &'static str) -> DataCenter {
    DataCenter {
        dc_id,
        test_mode,
        ipv4,
        ipv6,
    }
}

/// The table's row for a data center, if it has one.
#[must_use]
pub fn lookup(dc_id: u8, test_mode: bool) -> Option<&'static DataCenter> {
    TABLE
        .iter()
        .find(|d| d.dc_id == dc_id && d.test_mode == test_mode)
}

/// The row whose IPv4 or IPv6 address is `address` (compared as addresses, so any spelling of
/// an IPv6 address matches), if there is one.
#[must_use]
pub fn by_address(address: &str) -> Option<&'static DataCenter> {
    let ip: IpAddr = address.parse().ok()?;
    TABLE.iter().find(|d| {
        d.ipv4.parse::<IpAddr>().ok() == Some(ip) || d.ipv6.parse::<IpAddr>().ok() == Some(ip)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_parses_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for d in TABLE {
            let v4: IpAddr = d.ipv4.parse().unwrap();
            let v6: IpAddr = d.ipv6.parse().unwrap();
            assert!(v4.is_ipv4() && v6.is_ipv6());
            // Compressed form: what std prints is what the table holds.
            assert_eq!(v6.to_string(), d.ipv6);
            assert!(seen.insert(v4) && seen.insert(v6));
            assert_eq!(by_address(d.ipv4), Some(&d));
            assert_eq!(lookup(d.dc_id, d.test_mode), Some(&d));
        }
        assert_eq!(
            by_address("2001:067c:04e8:f002:0000:0000:0000:000a").map(|d| d.dc_id),
            Some(2)
        );
        assert_eq!(by_address("10.0.0.1"), None);
        assert_eq!(by_address("example.org"), None);
    }
}
