//! Community elderly facilities (社区养老服务设施, plan item 16): day-care centres (日间照料中心) and meal points
//! (助餐点), the villages/communities each serves, the standard configuration check (标配), and the designations
//! the bureau gives (一镇一品 demonstration sites, smart elderly care institutions).
//!
//! Decisions where the plan is silent:
//! - a village/community is rural (农村社区) when its committee is a 村民委员会 (村委会); every 居民委员会 (社区居委会, and the
//!   parks' 社区) is urban (城市社区) — the NBS names carry no other mark;
//! - a facility is "按标配建到位" when its latest check answered every checklist item present; one missing item fails it;
//! - meal service (助餐服务) covers a village/community when an active facility offering meals serves it.

use crate::orgs::OrgKind;
use crate::wire::code_list;

code_list! {
    /// The facility's level: 镇(街)级 centres count towards T16.5.
    FacilityLevel {
        Town = "town" / "镇(街)级",
        Village = "village" / "村(社区)级",
    }
}

code_list! {
    /// The standard configuration (标配) of a community elderly facility: every item must be present.
    StandardItem {
        Premises = "premises" / "服务用房面积达标",
        Rest = "rest" / "日间休息（照料）室",
        Dining = "dining" / "助餐（配餐）场所",
        Health = "health" / "健康服务（康复）室",
        Activity = "activity" / "文体活动室",
        BarrierFree = "barrier_free" / "无障碍设施",
        Staff = "staff" / "专（兼）职管理服务人员",
        Rules = "rules" / "服务项目和收费公开",
    }
}

code_list! {
    /// What the bureau names an organisation.
    Designation {
        DemoSite = "demo_site" / "一镇一品居家社区养老示范点",
        Smart = "smart" / "智慧养老服务机构",
    }
}

/// The organisation kinds that are community elderly facilities with a service profile.
pub fn is_community_facility(kind: OrgKind) -> bool {
    matches!(kind, OrgKind::DayCareCentre | OrgKind::MealPoint)
}

/// The organisation kinds a designation may name: service providers of the elderly-care line.
pub fn may_designate(d: Designation, kind: OrgKind) -> bool {
    match d {
        Designation::DemoSite => matches!(
            kind,
            OrgKind::DayCareCentre
                | OrgKind::MealPoint
                | OrgKind::ElderlyInstitution
                | OrgKind::HomeCareProvider
        ),
        Designation::Smart => matches!(
            kind,
            OrgKind::ElderlyInstitution | OrgKind::DayCareCentre | OrgKind::HomeCareProvider
        ),
    }
}

/// Whether a village/community is rural (农村社区) by its committee's name.
pub fn is_rural_community(name: &str) -> bool {
    name.ends_with("村委会") || name.ends_with("村民委员会")
}

/// The standard check's result from the items found present: met only when every item is.
pub fn standard_met(present: &[StandardItem]) -> bool {
    StandardItem::ALL.iter().all(|i| present.contains(i))
}

/// The items missing from a check, in checklist order.
pub fn missing_items(present: &[StandardItem]) -> Vec<StandardItem> {
    StandardItem::ALL
        .iter()
        .copied()
        .filter(|i| !present.contains(i))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rural_by_committee_name() {
        assert!(is_rural_community("璜土村委会"));
        assert!(is_rural_community("某某村民委员会"));
        assert!(!is_rural_community("文定社区居委会"));
        assert!(!is_rural_community("普惠苑社区居民委员会"));
        assert!(!is_rural_community("青阳工业园区社区"));
    }

    #[test]
    fn designations_name_providers_only() {
        assert!(may_designate(Designation::DemoSite, OrgKind::MealPoint));
        assert!(!may_designate(Designation::Smart, OrgKind::MealPoint));
        assert!(may_designate(
            Designation::Smart,
            OrgKind::ElderlyInstitution
        ));
        assert!(!may_designate(Designation::DemoSite, OrgKind::Foundation));
        assert!(is_community_facility(OrgKind::DayCareCentre));
        assert!(!is_community_facility(OrgKind::ElderlyInstitution));
    }

    #[test]
    fn standard_needs_every_item() {
        assert!(standard_met(StandardItem::ALL));
        let mut some = StandardItem::ALL.to_vec();
        some.retain(|i| *i != StandardItem::BarrierFree);
        assert!(!standard_met(&some));
        assert_eq!(missing_items(&some), vec![StandardItem::BarrierFree]);
        assert!(!standard_met(&[]));
        assert_eq!(missing_items(&[]).len(), StandardItem::ALL.len());
    }

    proptest! {
        /// Met exactly when nothing is missing, whatever the order and repetition of the answers.
        #[test]
        fn met_iff_nothing_missing(picks in proptest::collection::vec(0..StandardItem::ALL.len(), 0..20)) {
            let present: Vec<StandardItem> = picks.iter().map(|i| StandardItem::ALL[*i]).collect();
            prop_assert_eq!(standard_met(&present), missing_items(&present).is_empty());
            for m in missing_items(&present) {
                prop_assert!(!present.contains(&m));
            }
        }

        /// The rule reads the end of the name only: a 村 earlier in a community's name does not make it rural.
        #[test]
        fn rural_reads_the_committee(prefix in "[\\u{4e00}-\\u{4e20}村]{0,6}") {
            let rural_village = format!("{prefix}村委会");
            let urban_community = format!("{prefix}社区居委会");
            prop_assert!(is_rural_community(&rural_village));
            prop_assert!(!is_rural_community(&urban_community));
        }
    }
}
