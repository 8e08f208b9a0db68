//! The domain's string enums as column types: an entity field may be a `SampleStatus` rather
//! than a `String`, so a record read from the database carries the domain's value and no code
//! compares a status with a string. The text stored is the enum's wire text (`as_str`), the
//! same as before; a value the domain does not know is a read error naming the type, never a
//! silent default.

/// Implements what sea-orm needs to use each listed `string_enum!` type as a `Text` column
/// (and `Option<_>` of it): into a `Value`, out of a row, out of a `Value`, and its null.
macro_rules! stored_as_text {
    ($($ty:ty),+ $(,)?) => {$(
        impl From<$ty> for sea_orm::Value {
            fn from(value: $ty) -> Self {
                value.as_str().into()
            }
        }

        impl sea_orm::TryGetable for $ty {
            fn try_get_by<I: sea_orm::ColIdx>(
                res: &sea_orm::QueryResult,
                index: I,
            ) -> Result<Self, sea_orm::TryGetError> {
                let text = String::try_get_by(res, index)?;
                <$ty>::parse(&text).ok_or_else(|| {
                    sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(format!(
                        "{} has no value `{text}`",
                        stringify!($ty)
                    )))
                })
            }
        }

        impl sea_orm::sea_query::ValueType for $ty {
            fn try_from(value: sea_orm::Value) -> Result<Self, sea_orm::sea_query::ValueTypeErr> {
                let text = <String as sea_orm::sea_query::ValueType>::try_from(value)?;
                <$ty>::parse(&text).ok_or(sea_orm::sea_query::ValueTypeErr)
            }

            fn type_name() -> String {
                stringify!($ty).to_owned()
            }

            fn array_type() -> sea_orm::sea_query::ArrayType {
                sea_orm::sea_query::ArrayType::String
            }

            fn column_type() -> sea_orm::sea_query::ColumnType {
                sea_orm::sea_query::ColumnType::Text
            }
        }

        impl sea_orm::sea_query::Nullable for $ty {
            fn null() -> sea_orm::Value {
                sea_orm::Value::String(None)
            }
        }
    )+};
}

use crate::db::outbox::DeliveryStatus;
use crate::domain::consent::{ConsentDecision, ConsentParty};
use crate::domain::data_rights::{IdentityMethod, RequestKind, RequestStatus};
use crate::domain::iteration::IterationStatus;
use crate::domain::live_session::SessionStatus;
use crate::domain::money::EntryKind;
use crate::domain::sample::{SampleKind, SampleStatus, UploadMode, UploadPurpose};

stored_as_text!(
    ConsentDecision,
    ConsentParty,
    DeliveryStatus,
    EntryKind,
    IdentityMethod,
    IterationStatus,
    RequestKind,
    RequestStatus,
    SampleKind,
    SampleStatus,
    SessionStatus,
    UploadMode,
    UploadPurpose,
);

/// The typed ids bind as their UUID.
macro_rules! stored_as_uuid {
    ($($ty:ty),+ $(,)?) => {$(
        impl From<$ty> for sea_orm::Value {
            fn from(id: $ty) -> Self {
                id.uuid().into()
            }
        }
    )+};
}

use crate::domain::ids::{OrderId, UserId};

stored_as_uuid!(OrderId, UserId);

#[cfg(test)]
mod tests {
    use sea_orm::Value;
    use sea_orm::sea_query::ValueType;

    use crate::domain::money::EntryKind;
    use crate::domain::sample::SampleStatus;

    #[test]
    fn a_stored_enum_is_its_wire_text_and_unknown_text_is_refused() {
        assert_eq!(
            Value::from(SampleStatus::Verified),
            Value::from("verified"),
            "stored as the same text as before"
        );
        for status in SampleStatus::ALL {
            let read = <SampleStatus as ValueType>::try_from(Value::from(*status));
            assert_eq!(read.ok(), Some(*status));
        }
        assert!(<SampleStatus as ValueType>::try_from(Value::from("Verified")).is_err());
        assert!(<EntryKind as ValueType>::try_from(Value::from("gift")).is_err());
        assert!(<EntryKind as ValueType>::try_from(Value::from(5)).is_err());
    }
}
