//! The security policy the security administrator (安全管理员) keeps: password rules, lockout, idle sessions, token
//! lifetime and the networks the platform may be reached from. Pure: validation and the checks themselves.

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Policy {
    /// A password's minimum length (8–64).
    pub password_min_len: i64,
    /// How many of letters, digits and symbols a password mixes (1–3).
    pub password_classes: i64,
    /// Failures from one address for one name within 15 minutes before the pair is locked (3–20).
    pub max_failures: i64,
    /// The first lockout in minutes (1–1440); each further one doubles, up to a day.
    pub lock_minutes: i64,
    /// Minutes of inactivity after which a browser session ends (5–240).
    pub idle_minutes: i64,
    /// An API token's lifetime in days (1–3650).
    pub token_days: i64,
    /// Networks allowed to reach the platform; empty means every network.
    pub networks: Vec<Network>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            password_min_len: 8,
            password_classes: 2,
            max_failures: 5,
            lock_minutes: 15,
            idle_minutes: 30,
            token_days: 90,
            networks: Vec::new(),
        }
    }
}

/// A refused setting: the field and a Chinese reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub field: &'static str,
    pub message: String,
}

fn range(field: &'static str, label: &str, v: i64, lo: i64, hi: i64) -> Result<(), PolicyError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(PolicyError {
            field,
            message: format!("{label}应在{lo}到{hi}之间"),
        })
    }
}

impl Policy {
    /// Every setting within its bounds (the lower bounds are what 等保三级 asks at least).
    pub fn validate(&self) -> Result<(), PolicyError> {
        range(
            "password_min_len",
            "密码最小长度",
            self.password_min_len,
            8,
            64,
        )?;
        range(
            "password_classes",
            "密码须包含的字符类别数",
            self.password_classes,
            1,
            3,
        )?;
        range("max_failures", "连续失败次数上限", self.max_failures, 3, 20)?;
        range(
            "lock_minutes",
            "锁定时长（分钟）",
            self.lock_minutes,
            1,
            1440,
        )?;
        range(
            "idle_minutes",
            "会话空闲超时（分钟）",
            self.idle_minutes,
            5,
            240,
        )?;
        range(
            "token_days",
            "接口令牌有效期（天）",
            self.token_days,
            1,
            3650,
        )?;
        Ok(())
    }

    /// Whether a password meets the policy; the Chinese reason when it does not.
    pub fn check_password(&self, pw: &str) -> Result<(), String> {
        let classes = [
            pw.chars().any(|c| c.is_ascii_alphabetic()),
            pw.chars().any(|c| c.is_ascii_digit()),
            pw.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count() as i64;
        if (pw.chars().count() as i64) < self.password_min_len || classes < self.password_classes {
            let kinds = match self.password_classes {
                1 => "字母、数字、符号中的至少一类".to_string(),
                3 => "字母、数字和符号三类".to_string(),
                n => format!("字母、数字、符号中的至少{}类", cn_count(n)),
            };
            return Err(format!(
                "密码至少{}位，并包含{kinds}",
                self.password_min_len
            ));
        }
        Ok(())
    }

    /// Whether an address may reach the platform.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.networks.is_empty() || self.networks.iter().any(|n| n.contains(ip))
    }
}

fn cn_count(n: i64) -> &'static str {
    match n {
        1 => "一",
        2 => "两",
        _ => "三",
    }
}

/// An address block, `10.0.0.0/8` or `2001:db8::/32`; a bare address is a block of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Network {
    pub fn parse(s: &str) -> Option<Network> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Network {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // an IPv4 caller seen through an IPv6 socket (::ffff:a.b.c.d) is that IPv4 address
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.prefix) == self.addr
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl serde::Serialize for Network {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Network {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Network::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!("“{s}”不是网络地址（例如 10.0.0.0/8）"))
        })
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix)
            };
            IpAddr::V4((bits & m).into())
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix)
            };
            IpAddr::V6((bits & m).into())
        }
    }
}

/// A list of networks as typed (separated by commas, spaces or new lines); the first bad one named.
pub fn parse_networks(text: &str) -> Result<Vec<Network>, PolicyError> {
    let mut out = Vec::new();
    for part in text
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|p| !p.is_empty())
    {
        let n = Network::parse(part).ok_or_else(|| PolicyError {
            field: "networks",
            message: format!("“{part}”不是网络地址（例如 10.0.0.0/8 或 192.168.1.20）"),
        })?;
        if !out.contains(&n) {
            out.push(n);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn networks_parse_and_match() {
        let n = Network::parse("10.1.2.3/8").unwrap();
        assert_eq!(n.to_string(), "10.0.0.0/8");
        assert!(n.contains("10.200.0.1".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(
            n.contains("::ffff:10.9.9.9".parse().unwrap()),
            "IPv4 seen through IPv6"
        );
        let one = Network::parse("192.168.1.20").unwrap();
        assert!(one.contains("192.168.1.20".parse().unwrap()));
        assert!(!one.contains("192.168.1.21".parse().unwrap()));
        assert!(Network::parse("10.0.0.0/33").is_none());
        assert!(Network::parse("example").is_none());
        let v6 = Network::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        let e = parse_networks("10.0.0.0/8, 坏地址").unwrap_err();
        assert_eq!(e.field, "networks");
        assert!(e.message.contains("坏地址"));
        assert_eq!(
            parse_networks("10.0.0.0/8，172.16.0.0/12\n10.0.0.0/8")
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn policy_bounds_and_passwords() {
        let p = Policy::default();
        assert!(p.validate().is_ok());
        assert!(
            p.allows("8.8.8.8".parse().unwrap()),
            "no list: every network"
        );
        let weak = Policy {
            password_min_len: 6,
            ..Policy::default()
        };
        assert_eq!(weak.validate().unwrap_err().field, "password_min_len");
        let strict = Policy {
            password_min_len: 12,
            password_classes: 3,
            ..Policy::default()
        };
        assert!(
            strict.check_password("Abcdefgh123").is_err(),
            "11 characters"
        );
        assert!(strict.check_password("Abcdefgh1234").is_err(), "no symbol");
        assert!(strict.check_password("Abcdefgh123!").is_ok());
        assert!(p.check_password("abcdefgh").is_err(), "one class");
        assert!(p.check_password("abcdefg1").is_ok());
    }

    proptest! {
        #[test]
        fn a_block_holds_its_own_addresses(a in any::<u32>(), prefix in 0u8..=32, host in any::<u32>()) {
            let n = Network::parse(&format!("{}/{prefix}", std::net::Ipv4Addr::from(a))).unwrap();
            prop_assert!(n.contains(IpAddr::V4(a.into())));
            // any address that agrees on the prefix bits is inside, any other is outside
            let m = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
            let other = (a & m) | (host & !m);
            prop_assert!(n.contains(IpAddr::V4(other.into())));
            if prefix > 0 {
                let flipped = a ^ (1u32 << (32 - prefix));
                prop_assert!(!n.contains(IpAddr::V4(flipped.into())));
            }
            prop_assert_eq!(Network::parse(&n.to_string()), Some(n));
        }

        #[test]
        fn a_longer_password_of_the_same_kinds_still_passes(pw in "[a-z]{4,20}[0-9]{4,20}", extra in "[a-z0-9]{0,10}") {
            let p = Policy::default();
            prop_assert!(p.check_password(&pw).is_ok());
            let longer = format!("{pw}{extra}");
            prop_assert!(p.check_password(&longer).is_ok());
        }
    }
}
