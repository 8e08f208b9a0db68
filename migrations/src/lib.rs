//! Schema migrations for Keepsake.
//!
//! One frozen file per migration, written in sea-query's schema DSL so the same file runs on
//! SQLite and PostgreSQL. Migrations never import the application's entities: an entity changes
//! with the code, a migration must not.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_audit_events;
mod m20261128_000002_create_orders;
mod m20261128_000003_create_samples;
mod m20261128_000004_create_idempotency_keys;
mod m20261128_000005_create_users;
mod m20261128_000006_create_sessions;
mod m20261128_000007_add_order_customer;
mod m20261128_000008_audit_append_only;
mod m20261128_000009_create_login_failures;
mod m20261128_000010_audit_role_and_outcome;
mod m20261128_000011_create_consent_texts;
mod m20261128_000012_add_order_public_figure;
mod m20261128_000013_order_review_columns;
mod m20261128_000014_create_ledger;
mod m20261128_000015_create_consents;
mod m20261128_000016_create_stage_templates;
mod m20261128_000017_order_production_columns;
mod m20261128_000018_create_order_stages;
mod m20261128_000019_create_outbox;
mod m20261128_000020_board_columns;
mod m20261128_000021_order_delivered_at;
mod m20261128_000022_create_deliverables;
mod m20261128_000023_create_payments;
mod m20261128_000024_create_live_sessions;
mod m20261128_000025_outbox_delivery;
mod m20261128_000026_retention_and_erasure;
mod m20261128_000028_create_iterations;
mod m20261128_000029_create_data_requests;
mod m20261203_000030_erasure_certificate;
mod m20261203_000031_data_request_references;
mod m20261203_000032_default_consent_texts;
mod m20261203_000033_idempotency_key_holder;
mod m20261204_000034_create_inquiries;
mod m20261204_000035_consents_by_text;
mod m20261204_000036_labeled_deliverables;
mod m20261204_000037_deliverable_originals_purged;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_audit_events::Migration),
            Box::new(m20261128_000002_create_orders::Migration),
            Box::new(m20261128_000003_create_samples::Migration),
            Box::new(m20261128_000004_create_idempotency_keys::Migration),
            Box::new(m20261128_000005_create_users::Migration),
            Box::new(m20261128_000006_create_sessions::Migration),
            Box::new(m20261128_000007_add_order_customer::Migration),
            Box::new(m20261128_000008_audit_append_only::Migration),
            Box::new(m20261128_000009_create_login_failures::Migration),
            Box::new(m20261128_000010_audit_role_and_outcome::Migration),
            Box::new(m20261128_000011_create_consent_texts::Migration),
            Box::new(m20261128_000012_add_order_public_figure::Migration),
            Box::new(m20261128_000013_order_review_columns::Migration),
            Box::new(m20261128_000014_create_ledger::Migration),
            Box::new(m20261128_000015_create_consents::Migration),
            Box::new(m20261128_000016_create_stage_templates::Migration),
            Box::new(m20261128_000017_order_production_columns::Migration),
            Box::new(m20261128_000018_create_order_stages::Migration),
            Box::new(m20261128_000019_create_outbox::Migration),
            Box::new(m20261128_000020_board_columns::Migration),
            Box::new(m20261128_000021_order_delivered_at::Migration),
            Box::new(m20261128_000022_create_deliverables::Migration),
            Box::new(m20261128_000023_create_payments::Migration),
            Box::new(m20261128_000024_create_live_sessions::Migration),
            Box::new(m20261128_000025_outbox_delivery::Migration),
            Box::new(m20261128_000026_retention_and_erasure::Migration),
            Box::new(m20261128_000028_create_iterations::Migration),
            Box::new(m20261128_000029_create_data_requests::Migration),
            Box::new(m20261203_000030_erasure_certificate::Migration),
            Box::new(m20261203_000031_data_request_references::Migration),
            Box::new(m20261203_000032_default_consent_texts::Migration),
            Box::new(m20261203_000033_idempotency_key_holder::Migration),
            Box::new(m20261204_000034_create_inquiries::Migration),
            Box::new(m20261204_000035_consents_by_text::Migration),
            Box::new(m20261204_000036_labeled_deliverables::Migration),
            Box::new(m20261204_000037_deliverable_originals_purged::Migration),
        ]
    }
}

/// `CHECK (column IN (...))`: how enums are stored on both backends (strings + a constraint).
pub(crate) fn one_of<C: IntoIden + 'static>(column: C, values: &[&str]) -> SimpleExpr {
    Expr::col(column).is_in(values.iter().map(|v| (*v).to_owned()))
}
