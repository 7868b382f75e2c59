//! The one shape of the closed lists of names: an enum whose every variant stands for one
//! stored name. This crate's lists (audit event kinds, approval states) are tables of
//! `Variant = "name"` entries with their docs, kept in a `for_each_...!` macro that the server
//! also expands for its own copies (the database column type, the GraphQL enum), so no list of
//! names is written twice. [`impl_closed_list!`](crate::impl_closed_list) is the part every
//! such enum shares, here and in the server's column types.

/// The methods of a closed list of names, for an enum declared with one variant per `name`:
/// `ALL`, `as_str`, `FromStr` with [`UnknownValue`](crate::UnknownValue) (exact names only: no
/// case folding, no trimming, an unknown name is an error naming `what`) and `Display`.
///
/// ```text
/// handoff_shared::impl_closed_list!(Priority ("priority") { Low = "low", High = "high", });
/// ```
#[macro_export]
macro_rules! impl_closed_list {
    ($name:ident ($what:literal) { $( $variant:ident = $value:literal, )+ }) => {
        impl $name {
            /// Every value, in the order of the table.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name, as the API shows it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value,)+
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::UnknownValue::new($what, s))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Declares one of this crate's closed lists from its table: the enum, whose serde names are
/// the table's names (so the stored, wire and serde forms are one string), and
/// [`impl_closed_list!`](crate::impl_closed_list).
macro_rules! closed_list {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $value)] $variant, )+
        }

        $crate::impl_closed_list!($name ($what) { $( $variant = $value, )+ });
    };
}
