//! Safety and epidemic prevention in service institutions (安全与防疫, DOMAIN §5, plan items 5 and 25): the
//! inspection checklist, hazard grades and their deadlines, screening groups.

use crate::orgs::OrgKind;
use crate::wire::code_list;
use chrono::NaiveDate;

/// The kinds of organisation this line keeps: institutions that house or serve people on their premises.
pub fn is_service_institution(kind: OrgKind) -> bool {
    matches!(
        kind,
        OrgKind::ElderlyInstitution
            | OrgKind::DayCareCentre
            | OrgKind::ChildWelfareInstitution
            | OrgKind::ChildrenCareHome
            | OrgKind::RescueStation
            | OrgKind::FuneralFacility
    )
}

code_list! {
    /// The fixed checklist of an inspection; every item is answered passed or failed.
    CheckItem {
        FireFacilities = "fire_facilities" / "消防设施",
        Evacuation = "evacuation" / "疏散通道",
        FoodSafety = "food_safety" / "食品安全",
        Electrical = "electrical" / "用电安全",
        SpecialEquipment = "special_equipment" / "特种设备",
        DutyRoster = "duty_roster" / "值班制度",
    }
}

code_list! {
    /// 重大 or 一般 (major hazards are to be brought to zero).
    HazardGrade {
        Major = "major" / "重大",
        General = "general" / "一般",
    }
}

code_list! {
    /// Who was screened.
    ScreeningGroup {
        Staff = "staff" / "工作人员",
        Residents = "residents" / "服务对象",
        Visitors = "visitors" / "来访人员",
    }
}

/// An open hazard past its rectification deadline is escalated.
pub fn hazard_overdue(deadline: NaiveDate, closed: bool, today: NaiveDate) -> bool {
    !closed && today > deadline
}

/// A closed-management period is in force on `day` when it has begun and not ended.
pub fn closure_in_force(starts: NaiveDate, ends: Option<NaiveDate>, day: NaiveDate) -> bool {
    starts <= day && ends.is_none_or(|e| day <= e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn rules() {
        assert_eq!(CheckItem::ALL.len(), 6);
        assert_eq!(CheckItem::FireFacilities.label(), "消防设施");
        assert!(hazard_overdue(d(2020, 5, 1), false, d(2020, 5, 2)));
        assert!(!hazard_overdue(d(2020, 5, 1), false, d(2020, 5, 1)));
        assert!(!hazard_overdue(d(2020, 5, 1), true, d(2020, 6, 1)));
        assert!(closure_in_force(d(2020, 1, 25), None, d(2020, 3, 1)));
        assert!(!closure_in_force(
            d(2020, 1, 25),
            Some(d(2020, 2, 29)),
            d(2020, 3, 1)
        ));
        assert!(is_service_institution(OrgKind::ElderlyInstitution));
        assert!(!is_service_institution(OrgKind::Foundation));
        assert_eq!(
            ScreeningGroup::parse("visitors"),
            Some(ScreeningGroup::Visitors)
        );
    }
}
