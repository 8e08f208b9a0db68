//! Recent failed logins, per account key and per client address.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

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

/// A successful login forgives the account's earlier typos.
pub async fn clear_account(conn: &impl ConnectionTrait, account_key: &str) -> Result<(), DbErr> {
    Failures::delete_many()
        .filter(login_failure::Column::AccountKey.eq(account_key))
        .exec(conn)
        .await?;
    Ok(())
}
