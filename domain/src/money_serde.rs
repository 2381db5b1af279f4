//! Serde for `Fen` as the API's decimal yuan string ("1700.00"):
//! `#[serde(with = "minzheng_domain::money_serde")]`. Reading accepts what `Fen::parse_yuan` accepts.

use crate::money::Fen;
use serde::{Deserialize, Deserializer, Serializer};

pub fn serialize<S: Serializer>(f: &Fen, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(f)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fen, D::Error> {
    let s = String::deserialize(d)?;
    // a stored negative difference ("-0.05") must read back, parse_yuan only takes non-negative amounts
    match s.trim().strip_prefix('-') {
        Some(rest) => Fen::parse_yuan(rest).map(|f| Fen(-f.0)),
        None => Fen::parse_yuan(&s),
    }
    .map_err(serde::de::Error::custom)
}
