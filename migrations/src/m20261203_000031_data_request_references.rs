//! A data-rights request keeps the order reference its requester typed, and names the order
//! only when the reference matched one. Someone who is not an order's customer must get the
//! same answer whether the reference exists or not, so their request is stored either way —
//! a reviewer reads the reference, verifies who they are, and denies what matches nothing.
//!
//! SQLite cannot drop a NOT NULL in place, so the table is rebuilt the same way on both
//! backends: a new table, the rows copied (with each order's reference), the old one dropped,
//! the new one renamed, the indexes made again. One open request per requester, reference and
//! kind — whether the reference matched or not, so a repeat cannot tell them apart either.
//! It runs in one transaction on both backends, so a failure leaves the old table as it was.

use sea_orm_migration::{prelude::*, schema::*};

use crate::one_of;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DataRequests {
    Table,
    Id,
    Kind,
    OrderId,
    OrderReference,
    RequesterId,
    Relationship,
    Details,
    Corrections,
    Status,
    IdentityMethod,
    IdentityNote,
    IdentityVerifiedBy,
    IdentityVerifiedAt,
    DecidedBy,
    DecidedAt,
    DecisionReason,
    ExportKey,
    CompletedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DataRequestsRebuilt {
    Table,
}

/// The columns both shapes share, in order.
const SHARED: &str = "id, kind, order_id, requester_id, relationship, details, corrections, \
     status, identity_method, identity_note, identity_verified_by, identity_verified_at, \
     decided_by, decided_at, decision_reason, export_key, completed_at, created_at, updated_at";

/// The table under `name`: with a nullable order and its reference (`referenced`), or in the
/// shape migration 29 made.
fn table(name: impl IntoIden, referenced: bool) -> TableCreateStatement {
    let mut create = Table::create();
    create
        .table(name)
        .col(pk_uuid(DataRequests::Id))
        .col(string(DataRequests::Kind).check(one_of(
            DataRequests::Kind,
            &["access", "copy", "correction", "erasure"],
        )));
    if referenced {
        create
            .col(uuid_null(DataRequests::OrderId))
            .col(string(DataRequests::OrderReference));
    } else {
        create.col(uuid(DataRequests::OrderId));
    }
    create
        .col(uuid(DataRequests::RequesterId))
        .col(string(DataRequests::Relationship))
        .col(text_null(DataRequests::Details))
        .col(json_null(DataRequests::Corrections))
        .col(string(DataRequests::Status).check(one_of(
            DataRequests::Status,
            &[
                "submitted",
                "identity_verified",
                "approved",
                "denied",
                "completed",
            ],
        )))
        .col(string_null(DataRequests::IdentityMethod))
        .col(text_null(DataRequests::IdentityNote))
        .col(uuid_null(DataRequests::IdentityVerifiedBy))
        .col(timestamp_with_time_zone_null(
            DataRequests::IdentityVerifiedAt,
        ))
        .col(uuid_null(DataRequests::DecidedBy))
        .col(timestamp_with_time_zone_null(DataRequests::DecidedAt))
        .col(text_null(DataRequests::DecisionReason))
        .col(string_null(DataRequests::ExportKey))
        .col(timestamp_with_time_zone_null(DataRequests::CompletedAt))
        .col(timestamp_with_time_zone(DataRequests::CreatedAt))
        .col(timestamp_with_time_zone(DataRequests::UpdatedAt))
        .foreign_key(
            ForeignKey::create()
                .from_col(DataRequests::OrderId)
                .to(Alias::new("orders"), Alias::new("id")),
        )
        .foreign_key(
            ForeignKey::create()
                .from_col(DataRequests::RequesterId)
                .to(Alias::new("users"), Alias::new("id")),
        );
    create.to_owned()
}

/// Replace `data_requests` with the rows `copy` writes into the rebuilt table, then make the
/// indexes of the new shape.
async fn rebuild(
    manager: &SchemaManager<'_>,
    referenced: bool,
    copy: &str,
    open_key: &str,
) -> Result<(), DbErr> {
    manager
        .create_table(table(DataRequestsRebuilt::Table, referenced))
        .await?;
    let db = manager.get_connection();
    db.execute_unprepared(copy).await?;
    manager
        .drop_table(Table::drop().table(DataRequests::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(DataRequestsRebuilt::Table, DataRequests::Table)
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_data_requests_status")
                .table(DataRequests::Table)
                .col(DataRequests::Status)
                .col(DataRequests::Id)
                .to_owned(),
        )
        .await?;
    db.execute_unprepared(&format!(
        "CREATE UNIQUE INDEX ux_data_requests_open ON data_requests ({open_key}) \
         WHERE status IN ('submitted', 'identity_verified', 'approved')"
    ))
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on every backend (SQLite's default is none): all of it or nothing, on
    /// one connection.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let shared_of_d = SHARED
            .split(", ")
            .map(|c| format!("d.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let copy = format!(
            "INSERT INTO data_requests_rebuilt ({SHARED}, order_reference) \
             SELECT {shared_of_d}, o.reference FROM data_requests d \
             JOIN orders o ON o.id = d.order_id"
        );
        rebuild(manager, true, &copy, "requester_id, order_reference, kind").await
    }

    /// Back to one order per request: requests whose reference matched no order go.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let copy = format!(
            "INSERT INTO data_requests_rebuilt ({SHARED}) SELECT {SHARED} FROM data_requests \
             WHERE order_id IS NOT NULL"
        );
        rebuild(manager, false, &copy, "order_id, requester_id, kind").await
    }
}
