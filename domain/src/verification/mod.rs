//! Verification (核对) and rectification (低保专项治理): the departmental sources and what their rows reveal
//! (DOMAIN §4.8–4.10).

pub mod idfilter;
pub mod rules;
pub mod sources;

pub use rules::*;
pub use sources::*;

#[cfg(test)]
mod tests;
