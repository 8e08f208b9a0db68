//! Who acts, as every service sees it: an account's id and roles, and the request it came
//! with (so its audit events and refusals name it). The JSON API builds one from its session
//! (`http::session::Caller::acting`); the pages, the CLI and the jobs build theirs the same
//! way, so no service ever needs to know which door a request came through.

use uuid::Uuid;

use crate::audit;
use crate::domain::access::Who;
use crate::domain::account::Role;

/// A person acting through an account.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Uuid,
    pub roles: Vec<Role>,
    /// The request's id (`X-Request-Id`), carried into audit events.
    pub request_id: Option<String>,
}

impl Actor {
    /// The facts access decisions need.
    pub fn who(&self) -> Who<'_> {
        Who {
            id: self.id,
            roles: &self.roles,
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// How the audit trail names this actor.
    pub fn audit(&self) -> crate::audit::Actor {
        crate::audit::Actor::user(self.id, &self.roles)
    }

    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}

/// Record that `actor` was refused `target` (an attempt to reach what is not theirs is worth
/// knowing about), then hand back the refusal to answer with. Recording is best-effort: a
/// failure to write it is logged, and the refusal stands either way.
pub async fn refuse(
    conn: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    target: audit::Target,
    refusal: crate::error::AppError,
) -> crate::error::AppError {
    let detail =
        serde_json::json!({ "code": refusal.code().as_str(), "status": refusal.status().as_u16() });
    if let Err(err) = audit::record_outcome(
        conn,
        &actor.audit(),
        "access.denied",
        target,
        actor.request_id(),
        detail,
        audit::Outcome::Refused,
    )
    .await
    {
        tracing::error!(error = %err, "could not audit a refused access");
    }
    refusal
}
