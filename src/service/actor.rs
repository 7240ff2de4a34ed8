//! Who a service call acts for.

/// A role inside an organisation.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgRole {
    /// 机构管理员: approves members, edits the profile.
    Admin,
    /// 机构成员: edits the organisation's listings.
    Member,
}

impl OrgRole {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "ADMIN",
            Self::Member => "MEMBER",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ADMIN" => Some(Self::Admin),
            "MEMBER" => Some(Self::Member),
            _ => None,
        }
    }
}

/// A signed-in user as the rules see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserActor {
    /// User id.
    pub user_id: i32,
    /// Organisation and role, if a member of one.
    pub membership: Option<(i32, OrgRole)>,
    /// 平台管理员.
    pub operator: bool,
    /// 技术经纪人.
    pub broker: bool,
    /// The token that authenticated this request (for logout and rate limits).
    pub token_id: i64,
}

/// The caller of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A visitor without credentials: reads public listings only.
    Anonymous,
    /// A signed-in user.
    User(UserActor),
    /// The service itself: command-line tools, seeding, background jobs.
    System,
}

impl Actor {
    /// The user, if signed in.
    pub fn user(&self) -> Option<&UserActor> {
        match self {
            Self::User(u) => Some(u),
            _ => None,
        }
    }

    /// The user id, if signed in.
    pub fn user_id(&self) -> Option<i32> {
        self.user().map(|u| u.user_id)
    }

    /// The organisation the actor belongs to.
    pub fn organization_id(&self) -> Option<i32> {
        self.user().and_then(|u| u.membership).map(|(org, _)| org)
    }

    /// A short label for logs and the audit log.
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".to_owned(),
            Self::System => "system".to_owned(),
            Self::User(u) => format!("user:{}", u.user_id),
        }
    }
}
