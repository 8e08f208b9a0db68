//! Consent text versions: appended, never changed.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::consent_text::{self, Entity as Texts};
use crate::domain::consent::{ConsentParty, text_hash};

pub use consent_text::Model as ConsentTextRow;

pub struct NewText<'a> {
    pub jurisdiction: &'a str,
    pub party: ConsentParty,
    pub language: &'a str,
    pub body: String,
    pub published_by: Uuid,
    pub now: DateTime<Utc>,
}

/// Publish the next version for (jurisdiction, party, language). Two publishers racing for the
/// same version number hit the unique index; the loser's transaction fails and can retry.
pub async fn publish(
    conn: &impl ConnectionTrait,
    new: NewText<'_>,
) -> Result<ConsentTextRow, DbErr> {
    let latest = Texts::find()
        .filter(consent_text::Column::Jurisdiction.eq(new.jurisdiction))
        .filter(consent_text::Column::Party.eq(new.party.as_str()))
        .filter(consent_text::Column::Language.eq(new.language))
        .order_by_desc(consent_text::Column::Version)
        .one(conn)
        .await?;
    consent_text::ActiveModel {
        id: Set(Uuid::now_v7()),
        jurisdiction: Set(new.jurisdiction.to_owned()),
        party: Set(new.party),
        language: Set(new.language.to_owned()),
        version: Set(latest.map_or(1, |t| t.version + 1)),
        sha256: Set(text_hash(&new.body)),
        body: Set(new.body),
        published_at: Set(new.now),
        published_by: Set(new.published_by),
        notes: Set(None),
    }
    .insert(conn)
    .await
}

/// The newest version of every (jurisdiction, party, language), optionally narrowed.
pub async fn current(
    conn: &impl ConnectionTrait,
    jurisdiction: Option<&str>,
) -> Result<Vec<ConsentTextRow>, DbErr> {
    let mut query = Texts::find();
    if let Some(j) = jurisdiction {
        query = query.filter(consent_text::Column::Jurisdiction.eq(j));
    }
    let all = query
        .order_by_asc(consent_text::Column::Jurisdiction)
        .order_by_asc(consent_text::Column::Party)
        .order_by_asc(consent_text::Column::Language)
        .order_by_desc(consent_text::Column::Version)
        .all(conn)
        .await?;
    let mut newest: Vec<ConsentTextRow> = Vec::new();
    for text in all {
        let seen = newest.last().is_some_and(|n| {
            n.jurisdiction == text.jurisdiction
                && n.party == text.party
                && n.language == text.language
        });
        if !seen {
            newest.push(text);
        }
    }
    Ok(newest)
}

/// Every version, grouped by (jurisdiction, party, language), newest first in each.
pub async fn versions(conn: &impl ConnectionTrait) -> Result<Vec<ConsentTextRow>, DbErr> {
    Texts::find()
        .order_by_asc(consent_text::Column::Jurisdiction)
        .order_by_asc(consent_text::Column::Party)
        .order_by_asc(consent_text::Column::Language)
        .order_by_desc(consent_text::Column::Version)
        .all(conn)
        .await
}

pub async fn find(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<ConsentTextRow>, DbErr> {
    Texts::find_by_id(id).one(conn).await
}
