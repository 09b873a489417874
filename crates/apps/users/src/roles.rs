/// What a staff user may do: admins everything, editors content, support tickets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Editor,
    Support,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Support => "support",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "admin" => Some(Role::Admin),
            "editor" => Some(Role::Editor),
            "support" => Some(Role::Support),
            _ => None,
        }
    }
}

/// Who manages staff accounts (`/api/admin/users/`) and the cache dashboard.
pub const ADMINS: &[Role] = &[Role::Admin];
/// Who runs the site's content (every content app's admin routes).
pub const CONTENT: &[Role] = &[Role::Admin, Role::Editor];
/// Every staff role: what any signed-in user may do (`/api/auth/me`, logout).
pub const STAFF: &[Role] = &[Role::Admin, Role::Editor, Role::Support];
