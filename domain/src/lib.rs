//! Pure civil-affairs rules. Nothing here touches storage, the network or the clock:
//! every function takes plain data and returns plain data, so it can be unit- and property-tested.

pub mod adoption;
pub mod assistance;
pub mod calendar;
pub mod children;
pub mod disability;
pub mod elderly;
pub mod idnumber;
pub mod import;
pub mod institutions;
pub mod money;
pub mod money_serde;
pub mod orgs;
pub mod places;
pub mod policy;
pub mod safety;
pub mod targets;
pub mod totp;
pub mod verification;
mod wire;
