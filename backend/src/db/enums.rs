//! String-backed enum column types: what the text columns holding a closed set of names may
//! hold (status category, priority, approval state, delivery state and kind, integration kind,
//! user kind, event kind).
//!
//! Each is a SeaORM `DeriveActiveEnum` over `String`, whose values are exactly the strings the
//! columns have held since the first release, so switching an entity field to one of these
//! types rewrites no data and changes no column. Reading a value that is not in the list fails
//! with a `DbErr` naming the type and the value (which the services surface as an internal
//! error, logged once): an unknown value is never mapped to a default.
//!
//! The names that clients and definitions also use live in `handoff_shared`
//! (`StatusCategory`, `Priority`, `ApprovalState`, `EventKind`); the column types here convert
//! to and from them losslessly, so the rest of the code keeps using the shared enums and only
//! storage code sees these. The conversions are exhaustive `match`es both ways: a variant
//! added on one side does not compile until the other side has it. `EventKind` and
//! `ApprovalState` are not written here at all: they are generated from the shared crate's
//! tables (`handoff_shared::for_each_event_kind!`, `for_each_approval_state!`), so a new kind
//! of event is one edit there.
//!
//! These types are storage shapes: GraphQL never exposes them.

use sea_orm::entity::prelude::*;

/// Declares a string-backed column enum: the SeaORM derive with one `string_value` per
/// variant, plus what every closed list of names has (`handoff_shared::impl_closed_list!`):
/// `ALL`, `as_str` (no allocation, unlike `ActiveEnum::to_value`), `FromStr` with
/// [`UnknownValue`](handoff_shared::UnknownValue) and `Display`, all from one table so a stored name is written once.
macro_rules! string_column {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $( $(#[$vmeta])* #[sea_orm(string_value = $value)] $variant, )+
        }

        handoff_shared::impl_closed_list!($name ($what) { $( $variant = $value, )+ });
    };
}

/// Declares lossless conversions both ways between a column enum and its shared twin.
macro_rules! same_as_shared {
    ($name:ident, $shared:path, [$($variant:ident),+ $(,)?]) => {
        impl From<$name> for $shared {
            fn from(v: $name) -> Self {
                use $shared as Shared;
                match v {
                    $($name::$variant => Shared::$variant,)+
                }
            }
        }

        impl From<$shared> for $name {
            fn from(v: $shared) -> Self {
                use $shared as Shared;
                match v {
                    $(Shared::$variant => $name::$variant,)+
                }
            }
        }
    };
}

/// A column enum with the variants of a shared enum and the conversions both ways. Where the
/// shared crate keeps its list as a table (`handoff_shared::for_each_event_kind!`,
/// `for_each_approval_state!`), the table is expanded here and no variant is written in this
/// file.
macro_rules! twin_column {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) twin of $shared:path {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        string_column! {
            $(#[$meta])*
            pub enum $name ($what) {
                $( $(#[$vmeta])* $variant = $value, )+
            }
        }
        same_as_shared!($name, $shared, [$($variant),+]);
    };
}

twin_column! {
    /// `requests.category`: the category of the request's current status.
    pub enum StatusCategory ("status category") twin of handoff_shared::StatusCategory {
        /// Not yet picked up.
        Open = "open",
        /// Being worked on.
        Active = "active",
        /// Waiting on someone outside the team.
        Waiting = "waiting",
        /// Closed.
        Done = "done",
    }
}

twin_column! {
    /// `requests.priority`.
    pub enum Priority ("priority") twin of handoff_shared::Priority {
        /// Low.
        Low = "low",
        /// Normal.
        Normal = "normal",
        /// High.
        High = "high",
        /// Urgent.
        Urgent = "urgent",
    }
}

handoff_shared::for_each_approval_state!(twin_column! {
    /// `approval_steps.state`. Upper case, as stored since the first release.
    pub enum ApprovalState ("approval state") twin of handoff_shared::ApprovalState
});

string_column! {
    /// `outbox.state`: where a delivery is (see `jobs::outbox`).
    pub enum DeliveryState ("delivery state") {
        /// Due at `next_attempt_at`.
        Pending = "pending",
        /// Claimed by a worker until `lease_until`.
        Sending = "sending",
        /// The receiver accepted it.
        Delivered = "delivered",
        /// Every attempt failed (or it could not be queued); only an admin's retry revives it.
        Dead = "dead",
    }
}

string_column! {
    /// `outbox.kind`: what a delivery sends.
    pub enum DeliveryKind ("delivery kind") {
        /// A signed webhook to a system of record.
        Webhook = "webhook",
        /// A message to a chat integration.
        Chat = "chat",
    }
}

string_column! {
    /// `integrations.kind`.
    pub enum IntegrationKind ("integration kind") {
        /// A system of record's webhook (Standard Webhooks signing).
        Webhook = "webhook",
        /// A Slack-compatible chat webhook.
        Chat = "chat",
    }
}

string_column! {
    /// `users.kind`.
    pub enum UserKind ("user kind") {
        /// A person who signs in.
        Person = "person",
        /// The acting user of an inbound hook; never signs in, never an approver.
        Service = "service",
    }
}

handoff_shared::for_each_event_kind!(twin_column! {
    /// `events.kind`: see [`handoff_shared::EventKind`] for what each records.
    pub enum EventKind ("event kind") twin of handoff_shared::EventKind
});

#[cfg(test)]
mod tests {
    use std::fmt::Debug;
    use std::str::FromStr;

    use handoff_shared::UnknownValue;
    use sea_orm::ActiveEnum;
    use sea_orm::sea_query::{Value, ValueType};

    use super::*;

    /// What every column enum must do: store its `as_str`, read it back, and refuse anything
    /// else when reading.
    fn check_column<T>(all: &[T])
    where
        T: ActiveEnum<Value = String> + ValueType + FromStr<Err = UnknownValue>,
        T: Copy + PartialEq + Debug + std::fmt::Display + Into<Value>,
    {
        assert!(!all.is_empty());
        for &v in all {
            let stored = v.to_value();
            assert_eq!(stored, v.to_string());
            assert_eq!(T::try_from_value(&stored).unwrap(), v);
            assert_eq!(stored.parse::<T>().unwrap(), v);
            assert_eq!(v.into(), Value::from(stored.clone()));
            assert_eq!(<T as ValueType>::try_from(Value::from(stored)).unwrap(), v);
        }
        assert!(T::try_from_value(&"no such value".to_owned()).is_err());
        assert!("no such value".parse::<T>().is_err());
        assert!(<T as ValueType>::try_from(Value::from("no such value")).is_err());
        assert!(<T as ValueType>::try_from(Value::String(None)).is_err());
    }

    #[test]
    fn every_column_enum_stores_its_string_and_refuses_unknown_ones() {
        check_column(StatusCategory::ALL);
        check_column(Priority::ALL);
        check_column(ApprovalState::ALL);
        check_column(DeliveryState::ALL);
        check_column(DeliveryKind::ALL);
        check_column(IntegrationKind::ALL);
        check_column(UserKind::ALL);
        check_column(EventKind::ALL);
    }

    #[test]
    fn an_unknown_stored_value_names_the_type_and_the_value() {
        let err = Priority::try_from_value(&"Urgent".to_owned()).unwrap_err();
        assert!(err.to_string().contains("Priority"), "{err}");
        assert!(err.to_string().contains("Urgent"), "{err}");
        let err = "Urgent".parse::<Priority>().unwrap_err();
        assert_eq!(err.to_string(), "unknown priority \"Urgent\"");
    }

    /// A column enum and its shared twin convert both ways without loss, and store the very
    /// string the shared enum names (so no row is rewritten).
    fn check_twin<T, S>(columns: &[T], shared: &[S], shared_str: impl Fn(S) -> &'static str)
    where
        T: ActiveEnum<Value = String> + Copy + PartialEq + Debug + From<S> + Into<S>,
        S: Copy + PartialEq + Debug,
    {
        assert_eq!(columns.len(), shared.len(), "the same number of values");
        for &s in shared {
            let column = T::from(s);
            assert_eq!(column.to_value(), shared_str(s));
            assert_eq!(column.into(), s);
        }
    }

    #[test]
    fn column_enums_match_their_shared_twins() {
        check_twin(
            StatusCategory::ALL,
            &handoff_shared::StatusCategory::ALL,
            |s| s.as_str(),
        );
        check_twin(Priority::ALL, &handoff_shared::Priority::ALL, |s| {
            s.as_str()
        });
        check_twin(
            ApprovalState::ALL,
            handoff_shared::ApprovalState::ALL,
            handoff_shared::ApprovalState::as_str,
        );
        check_twin(
            EventKind::ALL,
            handoff_shared::EventKind::ALL,
            handoff_shared::EventKind::as_str,
        );
    }

    #[test]
    fn the_strings_are_those_the_services_write_today() {
        // Pinned by hand from the services (`approvals::PENDING`, `outbox` states, ...): a
        // change here is a data migration, not a rename.
        let stored = |all: &[&'static str]| all.to_vec();
        assert_eq!(
            ApprovalState::ALL
                .iter()
                .map(|v| v.as_str())
                .collect::<Vec<_>>(),
            stored(&["PENDING", "ACTIVE", "APPROVED", "REJECTED", "SKIPPED"])
        );
        assert_eq!(
            DeliveryState::ALL
                .iter()
                .map(|v| v.as_str())
                .collect::<Vec<_>>(),
            stored(&["pending", "sending", "delivered", "dead"])
        );
        assert_eq!(
            DeliveryKind::ALL
                .iter()
                .map(|v| v.as_str())
                .collect::<Vec<_>>(),
            stored(&["webhook", "chat"])
        );
        assert_eq!(
            UserKind::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            stored(&["person", "service"])
        );
    }
}
