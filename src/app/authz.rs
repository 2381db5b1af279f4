//! Every access decision in one place: roles, permissions and area scope.

use super::{AppError, AppResult};
use crate::storage::persons::AreaFilter;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CityAdmin,
    CityOfficer,
    TownOfficer,
    VillageWorker,
    Leader,
    Auditor,
    /// 安全管理员 (三员分立): the security policy only.
    SecurityAdmin,
    /// 安全审计员 (三员分立): the audit log only.
    AuditAdmin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::CityAdmin,
        Role::CityOfficer,
        Role::TownOfficer,
        Role::VillageWorker,
        Role::Leader,
        Role::Auditor,
        Role::SecurityAdmin,
        Role::AuditAdmin,
    ];

    /// The three administrators of 三员分立: none of them reads or changes business data.
    pub fn is_administrator(self) -> bool {
        matches!(
            self,
            Role::CityAdmin | Role::SecurityAdmin | Role::AuditAdmin
        )
    }

    pub fn code(self) -> &'static str {
        match self {
            Role::CityAdmin => "city_admin",
            Role::CityOfficer => "city_officer",
            Role::TownOfficer => "town_officer",
            Role::VillageWorker => "village_worker",
            Role::Leader => "leader",
            Role::Auditor => "auditor",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::CityAdmin => "市局系统管理员",
            Role::CityOfficer => "市局业务科室",
            Role::TownOfficer => "镇(街道)民政办",
            Role::VillageWorker => "村(居)委会/网格员",
            Role::Leader => "局领导",
            Role::Auditor => "纪检/审计",
            Role::SecurityAdmin => "安全管理员",
            Role::AuditAdmin => "安全审计员",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s)
    }
    /// The area level a user of this role must be bound to.
    pub fn area_level(self) -> &'static str {
        match self {
            Role::TownOfficer => "town",
            Role::VillageWorker => "village",
            _ => "city",
        }
    }
}

/// The bureau's business sections (科室). A city officer acts only in the lines of the sections it belongs to;
/// reading stays open to every city officer, as to the leaders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    SocialAssistance,
    Verification,
    ElderlyCare,
    ChildWelfare,
    SocialAffairs,
    SocialOrganisations,
    Office,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::SocialAssistance,
        Section::Verification,
        Section::ElderlyCare,
        Section::ChildWelfare,
        Section::SocialAffairs,
        Section::SocialOrganisations,
        Section::Office,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Section::SocialAssistance => "social_assistance",
            Section::Verification => "verification",
            Section::ElderlyCare => "elderly_care",
            Section::ChildWelfare => "child_welfare",
            Section::SocialAffairs => "social_affairs",
            Section::SocialOrganisations => "social_organisations",
            Section::Office => "office",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Section::SocialAssistance => "社会救助科",
            Section::Verification => "居民家庭经济状况核对中心",
            Section::ElderlyCare => "养老服务科",
            Section::ChildWelfare => "儿童福利科",
            Section::SocialAffairs => "社会事务科",
            Section::SocialOrganisations => "社会组织管理局",
            Section::Office => "办公室",
        }
    }
    pub fn parse(s: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|x| x.code() == s.trim())
    }
    /// The stored form: codes separated by commas; unknown codes are ignored.
    pub fn parse_list(s: &str) -> Vec<Section> {
        s.split(',').filter_map(Section::parse).collect()
    }
    pub fn join(list: &[Section]) -> String {
        list.iter().map(|s| s.code()).collect::<Vec<_>>().join(",")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ManageUsers,
    /// Keep the security policy: passwords, lockout, sessions, token lifetimes, allowed networks (安全管理员).
    ManagePolicy,
    ReadRegistry,
    WriteRegistry,
    /// See a full identity number, phone or address.
    RevealPersonal,
    ReadAudit,
    /// Propose and approve assistance standards (the money every payment follows): the business section only.
    ManageStandards,
    /// Keep the working-day calendars.
    ManageCalendar,
    /// Read applications, cases and payment rolls.
    ReadAssistance,
    /// File and process applications (which step by whom is decided by the workflow).
    HandleApplications,
    /// Read verification runs, findings, warnings and grid tasks.
    ReadVerification,
    /// Load departmental source files and start verification runs (the city verification centre).
    LoadSources,
    /// Decide findings (confirm or dismiss) and keep the staff close-relative registry.
    HandleFindings,
    /// Visit and close grid tasks.
    HandleTasks,
    /// Read the plan's targets and the leaders' dashboard.
    ReadTargets,
    /// Import a year's plan and report indicator values with evidence.
    ReportTargets,
    /// Approve reported indicator values.
    ApproveTargets,
    /// Call the stateless rules other systems use (assessment, capability score, child classification).
    UseRules,
    /// Read the organisation registry (institutions, facilities, social organisations, charities).
    ReadOrganisations,
    /// Register and change organisations.
    ManageOrganisations,
    /// Read the elderly-care line.
    ReadElderly,
    /// Record capability assessments.
    RecordAssessments,
    /// Record residents' 一卡通 accounts (town) and set the old-age allowance standards (the city's elderly section).
    HandleAllowance,
    /// Keep the community elderly facilities (profile, villages served, 标配 checks, designations) and the services
    /// for poor elderly people (home care assistance, home adaptations, family care beds).
    ManageElderlyServices,
    /// Read the disability subsidies (残疾人两项补贴).
    ReadDisability,
    /// File subsidies (town); record the 残联's check, decide and stop them (the city's social affairs section).
    HandleSubsidies,
    /// Read the elderly institutions (养老机构): filings, beds, star grades, residents, inspections.
    ReadInstitutions,
    /// File institutions, change beds and star grades, admit and discharge residents, record inspections.
    ManageInstitutions,
    /// Read safety and epidemic records of service institutions (安全与防疫).
    ReadSafety,
    /// Record safety inspections, hazards and their closure, closed management and infection incidents; the
    /// section is the organisation kind's (`organisations::section_of`), checked by each use case.
    RecordSafety,
    /// Record screening logs (体温/症状筛查) at an institution in one's area.
    RecordScreening,
    /// Read the children's welfare line (registers, allowances, directors, visits).
    ReadChildren,
    /// Register children, record visits (village in its village), appoint and train 儿童督导员/儿童主任 (town, city).
    HandleChildren,
    /// Set the children's allowance standards, decide or stop allowances, start and end state guardianship, register
    /// adoptions and re-classify the registry (the city's child welfare section).
    DecideChildAllowances,
}

impl Permission {
    /// The section a city officer must belong to for this permission; `None` when any may (reading, the stateless
    /// rules) or when the section depends on the record (an organisation's kind, see `Actor::require_section`).
    pub fn section(self) -> Option<Section> {
        use Permission::*;
        match self {
            ManageStandards | HandleApplications => Some(Section::SocialAssistance),
            LoadSources | HandleFindings | HandleTasks => Some(Section::Verification),
            ManageCalendar | ApproveTargets => Some(Section::Office),
            RecordAssessments | HandleAllowance | ManageInstitutions | ManageElderlyServices => {
                Some(Section::ElderlyCare)
            }
            HandleSubsidies => Some(Section::SocialAffairs),
            HandleChildren | DecideChildAllowances => Some(Section::ChildWelfare),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Permission::ManageUsers => "管理用户",
            Permission::ManagePolicy => "维护安全策略",
            Permission::ReadRegistry => "查看人员信息",
            Permission::WriteRegistry => "登记或修改人员信息",
            Permission::RevealPersonal => "查看完整个人信息",
            Permission::ReadAudit => "查看审计日志",
            Permission::ManageStandards => "维护救助标准",
            Permission::ManageCalendar => "维护工作日历",
            Permission::ReadAssistance => "查看社会救助业务",
            Permission::HandleApplications => "办理救助申请",
            Permission::ReadVerification => "查看核对与整改",
            Permission::LoadSources => "导入部门核对数据",
            Permission::HandleFindings => "处理核对疑点",
            Permission::HandleTasks => "办理网格任务",
            Permission::ReadTargets => "查看年度目标",
            Permission::ReportTargets => "填报年度目标",
            Permission::ApproveTargets => "审核年度目标填报",
            Permission::UseRules => "使用业务测算接口",
            Permission::ReadOrganisations => "查看机构和组织",
            Permission::ManageOrganisations => "登记或变更机构和组织",
            Permission::ReadElderly => "查看养老服务业务",
            Permission::RecordAssessments => "录入老年人能力评估",
            Permission::HandleAllowance => "办理高龄津贴",
            Permission::ManageElderlyServices => "办理社区养老设施和困难老人养老服务",
            Permission::ReadDisability => "查看残疾人两项补贴",
            Permission::HandleSubsidies => "办理残疾人两项补贴",
            Permission::ReadInstitutions => "查看养老机构",
            Permission::ManageInstitutions => "办理养老机构备案、床位、入住和检查",
            Permission::ReadSafety => "查看安全与防疫",
            Permission::RecordSafety => "登记安全检查、隐患和防疫事项",
            Permission::RecordScreening => "登记防疫筛查",
            Permission::ReadChildren => "查看儿童福利业务",
            Permission::HandleChildren => "办理儿童福利登记和走访",
            Permission::DecideChildAllowances => "审批儿童基本生活费、办理国家监护和收养登记",
        }
    }
}

/// The role matrix. Separation of duties (三员分立): the system administrator (city_admin) manages accounts, the
/// security administrator the security policy, the audit administrator reads the audit log; none of the three
/// reads or changes business data. 纪检/审计 (auditor) is a business role: it reads every line (read-only) to
/// supervise the money, but no longer the audit log. Leaders and auditors never write.
pub fn allows(role: Role, p: Permission) -> bool {
    use Permission::*;
    use Role::*;
    let business = !role.is_administrator();
    match p {
        ManageUsers => role == CityAdmin,
        ManagePolicy => role == SecurityAdmin,
        ReadAudit => role == AuditAdmin,
        ReadRegistry => business,
        WriteRegistry => matches!(role, CityOfficer | TownOfficer | VillageWorker),
        RevealPersonal => matches!(role, CityOfficer | TownOfficer | VillageWorker | Auditor),
        // the account administrator has no part in the money (DOMAIN §4.11–4.12)
        ManageStandards => role == CityOfficer,
        // reference data the platform runs on (the State Council's holidays), kept by the system administrator too
        ManageCalendar => matches!(role, CityAdmin | CityOfficer),
        ReadAssistance | ReadVerification | ReadTargets | UseRules | ReadOrganisations
        | ReadElderly | ReadDisability | ReadInstitutions | ReadSafety | ReadChildren => business,
        HandleApplications => matches!(role, CityOfficer | TownOfficer | VillageWorker),
        LoadSources => role == CityOfficer,
        HandleFindings => matches!(role, CityOfficer | TownOfficer),
        HandleTasks => matches!(role, CityOfficer | TownOfficer | VillageWorker),
        ReportTargets => matches!(role, CityOfficer | TownOfficer),
        ApproveTargets => role == CityOfficer,
        ManageOrganisations => matches!(role, CityOfficer | TownOfficer),
        RecordAssessments => matches!(role, CityOfficer | TownOfficer | VillageWorker),
        HandleAllowance => matches!(role, CityOfficer | TownOfficer),
        ManageElderlyServices => matches!(role, CityOfficer | TownOfficer),
        HandleSubsidies => matches!(role, CityOfficer | TownOfficer),
        ManageInstitutions | RecordSafety => matches!(role, CityOfficer | TownOfficer),
        // the grid worker helps at the gate in an epidemic and keeps the screening log with the institution
        RecordScreening => matches!(role, CityOfficer | TownOfficer | VillageWorker),
        HandleChildren => matches!(role, CityOfficer | TownOfficer | VillageWorker),
        DecideChildAllowances => role == CityOfficer,
    }
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<String>,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The area the user is bound to; its subtree is the user's scope.
    pub area_code: String,
    pub area_level: String,
    /// For a city officer, the sections (科室) it acts for.
    pub sections: Vec<Section>,
}

impl Actor {
    /// The command line acts as the system with city-wide administration rights.
    pub fn system(city_code: &str) -> Actor {
        Actor {
            user_id: None,
            username: "system".into(),
            display_name: "系统(命令行)".into(),
            role: Role::CityAdmin,
            area_code: city_code.into(),
            area_level: "city".into(),
            sections: Section::ALL.to_vec(),
        }
    }

    pub fn require(&self, p: Permission) -> AppResult<()> {
        if !allows(self.role, p) {
            return Err(AppError::Forbidden(format!(
                "您的角色({})无权{}",
                self.role.label(),
                p.label()
            )));
        }
        match p.section() {
            Some(s) => self.require_section(s),
            None => Ok(()),
        }
    }

    pub fn can(&self, p: Permission) -> bool {
        self.require(p).is_ok()
    }

    /// A city officer acts only for its own sections; town and village staff act for every line in their area.
    pub fn require_section(&self, s: Section) -> AppResult<()> {
        if self.role != Role::CityOfficer || self.sections.contains(&s) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "此项业务由{}办理，您不属于该科室",
                s.label()
            )))
        }
    }

    /// Whether an area (by code) lies in the user's subtree.
    pub fn in_scope(&self, area_code: &str) -> bool {
        area_code.starts_with(&self.area_code)
    }

    /// The filter for the user's whole scope.
    pub fn scope_filter(&self) -> AreaFilter {
        filter_for(&self.area_code, &self.area_level)
    }

    /// The filter for a requested area narrowed to the user's scope; an area outside it matches nothing.
    pub fn narrow(&self, requested: Option<(&str, &str)>) -> AreaFilter {
        match requested {
            None => self.scope_filter(),
            Some((code, level)) if code.starts_with(&self.area_code) => filter_for(code, level),
            // A user asking for an ancestor of its own area still sees only its own area.
            Some((code, _)) if self.area_code.starts_with(code) => self.scope_filter(),
            Some(_) => AreaFilter::Nothing,
        }
    }
}

fn filter_for(code: &str, level: &str) -> AreaFilter {
    match level {
        "town" => AreaFilter::Town(code.to_string()),
        "village" => AreaFilter::Village(code.to_string()),
        _ => AreaFilter::Prefix(code.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, area: &str, level: &str) -> Actor {
        Actor {
            user_id: Some("u".into()),
            username: "u".into(),
            display_name: "u".into(),
            role,
            area_code: area.into(),
            area_level: level.into(),
            sections: vec![],
        }
    }

    #[test]
    fn narrowing_never_widens() {
        let a = actor(Role::TownOfficer, "320281001", "town");
        assert_eq!(a.narrow(None), AreaFilter::Town("320281001".into()));
        assert_eq!(
            a.narrow(Some(("320281", "city"))),
            AreaFilter::Town("320281001".into())
        );
        assert_eq!(a.narrow(Some(("320281004", "town"))), AreaFilter::Nothing);
        assert_eq!(
            a.narrow(Some(("320281001003", "village"))),
            AreaFilter::Village("320281001003".into())
        );
        assert!(!a.in_scope("320281004001"));
    }

    #[test]
    fn separation_of_duties() {
        assert!(allows(Role::CityAdmin, Permission::ManageUsers));
        assert!(!allows(Role::CityAdmin, Permission::RevealPersonal));
        assert!(!allows(Role::CityAdmin, Permission::ReadAudit));
        assert!(!allows(Role::Auditor, Permission::ReadAudit));
        assert!(allows(Role::AuditAdmin, Permission::ReadAudit));
        assert!(allows(Role::SecurityAdmin, Permission::ManagePolicy));
        assert!(!allows(Role::CityAdmin, Permission::ManagePolicy));
        assert!(!allows(Role::AuditAdmin, Permission::ManageUsers));
        // none of the three administrators reads business data
        for r in [Role::CityAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            for p in [
                Permission::ReadRegistry,
                Permission::ReadAssistance,
                Permission::ReadChildren,
            ] {
                assert!(!allows(r, p), "{r:?} {p:?}");
            }
        }
        assert!(!allows(Role::Leader, Permission::WriteRegistry));
        assert!(!allows(Role::Auditor, Permission::WriteRegistry));
        // a city officer acts only for its sections, but reads every line
        let mut a = actor(Role::CityOfficer, "320281", "city");
        a.sections = vec![Section::ElderlyCare];
        assert!(a.can(Permission::RecordAssessments));
        assert!(!a.can(Permission::HandleApplications));
        assert!(a.can(Permission::ReadAssistance));
        let t = actor(Role::TownOfficer, "320281001", "town");
        assert!(t.can(Permission::HandleApplications));
    }
}
