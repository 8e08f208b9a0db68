//! Recent failed logins, per account key and per client address; and what the audit trail
//! says about an account's logins (the addresses it logged in from, the last alert to its
//! owner), which the throttle reads.

use chrono::{DateTime, Utc};
use sea_orm::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::audit_event;
use super::entities::login_failure::{self, Entity as Failures};

/// How many failures of one key are ever read back (the limits are far below this).
const READ_CAP: u64 = 1000;

pub async fn record(
    conn: &impl ConnectionTrait,
    account_key: &str,
    client: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    login_failure::ActiveModel {
        id: Set(Uuid::now_v7()),
        account_key: Set(account_key.to_owned()),
        client: Set(client.to_owned()),
        failed_at: Set(now),
    }
    .insert(conn)
    .await?;
    // Keep the table small: nothing older than a day is ever needed.
    Failures::delete_many()
        .filter(login_failure::Column::FailedAt.lt(now - chrono::Duration::days(1)))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn for_account(
    conn: &impl ConnectionTrait,
    account_key: &str,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    times(
        conn,
        login_failure::Column::AccountKey.eq(account_key),
        since,
    )
    .await
}

/// Failures of one account from one address.
pub async fn for_account_client(
    conn: &impl ConnectionTrait,
    account_key: &str,
    client: &str,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    times(
        conn,
        login_failure::Column::AccountKey
            .eq(account_key)
            .and(login_failure::Column::Client.eq(client)),
        since,
    )
    .await
}

pub async fn for_client(
    conn: &impl ConnectionTrait,
    client: &str,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    times(conn, login_failure::Column::Client.eq(client), since).await
}

async fn times(
    conn: &impl ConnectionTrait,
    which: sea_orm::sea_query::SimpleExpr,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    Ok(Failures::find()
        .filter(which)
        .filter(login_failure::Column::FailedAt.gt(since))
        .limit(READ_CAP)
        .all(conn)
        .await?
        .into_iter()
        .map(|f| f.failed_at)
        .collect())
}

/// A successful login forgives the typos made from the same address — and only those: what
/// others tried on the account from elsewhere still counts against them.
pub async fn clear_account_client(
    conn: &impl ConnectionTrait,
    account_key: &str,
    client: &str,
) -> Result<(), DbErr> {
    Failures::delete_many()
        .filter(login_failure::Column::AccountKey.eq(account_key))
        .filter(login_failure::Column::Client.eq(client))
        .exec(conn)
        .await?;
    Ok(())
}

/// How many of an account's audit events are read back to look for an address (the most
/// recent first; an account logs in far less often than this within the period asked about).
const AUDIT_READ_CAP: u64 = 500;

/// Did the account log in successfully from `client` since `since`? (`auth.login` events carry
/// the address they came from.)
pub async fn logged_in_from(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    client: &str,
    since: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let logins = account_events(conn, user_id, "auth.login", since).await?;
    Ok(logins
        .iter()
        .any(|e| e.detail["client"].as_str() == Some(client)))
}

/// When the owner was last told of a tripped throttle (`auth.login_alerted`), since `since`.
pub async fn last_alert(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let alerts = account_events(conn, user_id, "auth.login_alerted", since).await?;
    Ok(alerts.first().map(|e| e.occurred_at))
}

async fn account_events(
    conn: &impl ConnectionTrait,
    user_id: Uuid,
    action: &str,
    since: DateTime<Utc>,
) -> Result<Vec<audit_event::Model>, DbErr> {
    audit_event::Entity::find()
        .filter(audit_event::Column::TargetId.eq(user_id))
        .filter(audit_event::Column::TargetType.eq("user"))
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::OccurredAt.gt(since))
        .order_by_desc(audit_event::Column::OccurredAt)
        .limit(AUDIT_READ_CAP)
        .all(conn)
        .await
}
