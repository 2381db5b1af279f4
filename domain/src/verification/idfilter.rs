//! Which identity numbers a load mentions, as a Bloom filter kept with the load. A verification asks a source's
//! index only about the recipients its loads may mention: most recipients appear in few sources, and a probe
//! answered "no" by the index costs as much as one that finds rows. No false negatives; about 1 % false
//! positives, each costing one index probe and never a finding (the rows decide).
//!
//! The hash is written out here, not taken from `std` (whose hasher may change between Rust releases): filters
//! are stored, and a different hash would make an old filter deny numbers it holds.

/// First bytes of a stored filter; a filter with other bytes is ignored (the source is then asked about everyone).
const MAGIC: &[u8; 4] = b"MZF1";
/// Bits per distinct identity number before rounding up to a power of two, and probes per number: about 0.8 %
/// false positives at 10 bits, fewer after the rounding.
const BITS_PER_ID: usize = 10;
const PROBES: u32 = 7;

/// FNV-1a over the bytes, then a 64-bit finaliser (splitmix64) so that the low bits used as positions are mixed.
pub fn id_hash(id: &str) -> u64 {
    mix(fnv1a(id.as_bytes()))
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdFilter {
    /// a power of two
    bits: Vec<u64>,
}

impl IdFilter {
    /// A filter holding exactly the numbers whose hashes are given (duplicates allowed; they are sorted away).
    pub fn from_hashes(mut hashes: Vec<u64>) -> IdFilter {
        hashes.sort_unstable();
        hashes.dedup();
        let want = (hashes.len() * BITS_PER_ID).max(64).next_power_of_two();
        let mut f = IdFilter {
            bits: vec![0; want / 64],
        };
        for h in hashes {
            for pos in f.positions(h) {
                f.bits[pos / 64] |= 1 << (pos % 64);
            }
        }
        f
    }

    fn positions(&self, h: u64) -> impl Iterator<Item = usize> + use<> {
        let mask = (self.bits.len() * 64 - 1) as u64;
        let step = mix(h) | 1;
        (0..u64::from(PROBES)).map(move |i| (h.wrapping_add(i.wrapping_mul(step)) & mask) as usize)
    }

    /// Whether the number with this [`id_hash`] may be in the load (false: it is certainly not).
    pub fn may_contain(&self, h: u64) -> bool {
        self.positions(h)
            .all(|pos| self.bits[pos / 64] & (1 << (pos % 64)) != 0)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAGIC.len() + self.bits.len() * 8);
        out.extend_from_slice(MAGIC);
        for w in &self.bits {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// None for anything [`IdFilter::to_bytes`] did not write.
    pub fn from_bytes(b: &[u8]) -> Option<IdFilter> {
        let words = b.strip_prefix(MAGIC)?;
        let n = words.len() / 8;
        if words.len() % 8 != 0 || n == 0 || !n.is_power_of_two() {
            return None;
        }
        Some(IdFilter {
            bits: words
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect(),
        })
    }
}

/// Collects a load's identity numbers as they stream by, for [`IdFilter::from_hashes`] at the end. Rows of one
/// person often come together (a year of monthly contributions): a repeat of the previous number is not kept.
#[derive(Debug, Default)]
pub struct IdFilterBuilder {
    hashes: Vec<u64>,
}

impl IdFilterBuilder {
    pub fn add(&mut self, id: &str) {
        let h = id_hash(id);
        if self.hashes.last() != Some(&h) {
            self.hashes.push(h);
        }
    }

    pub fn build(self) -> IdFilter {
        IdFilter::from_hashes(self.hashes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn filter_of(ids: &[String]) -> IdFilter {
        let mut b = IdFilterBuilder::default();
        for id in ids {
            b.add(id);
        }
        b.build()
    }

    #[test]
    fn the_hash_never_changes() {
        // stored filters depend on it: changing the hash needs a new MAGIC
        // FNV-1a's published test vectors, then splitmix64's first output from seed 0
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(mix(0x9e37_79b9_7f4a_7c15), 0xe220_a839_7b1d_cdaf);
        assert_eq!(id_hash("320281195001010013"), 7_429_424_070_130_635_829);
    }

    #[test]
    fn false_positives_stay_near_one_percent() {
        let held: Vec<String> = (0..20_000).map(|i| format!("32028119{i:010}")).collect();
        let f = filter_of(&held);
        let others = (20_000..120_000)
            .filter(|i| f.may_contain(id_hash(&format!("32028119{i:010}"))))
            .count();
        assert!(others < 1_500, "{others} of 100,000 absent numbers passed");
    }

    #[test]
    fn foreign_bytes_are_no_filter() {
        assert_eq!(IdFilter::from_bytes(b""), None);
        assert_eq!(IdFilter::from_bytes(b"MZF1"), None);
        assert_eq!(IdFilter::from_bytes(b"MZF0\0\0\0\0\0\0\0\0"), None);
        // half a word
        assert_eq!(IdFilter::from_bytes(b"MZF1\0\0\0\0"), None);
        // 3 words: not a power of two
        let mut three = b"MZF1".to_vec();
        three.extend([0u8; 24]);
        assert_eq!(IdFilter::from_bytes(&three), None);
    }

    proptest! {
        #[test]
        fn every_number_added_is_found(ids in proptest::collection::vec("[0-9]{17}[0-9X]", 0..400)) {
            let f = filter_of(&ids);
            for id in &ids {
                prop_assert!(f.may_contain(id_hash(id)));
            }
            let back = IdFilter::from_bytes(&f.to_bytes());
            prop_assert_eq!(back.as_ref(), Some(&f));
        }
    }
}
