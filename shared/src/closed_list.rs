//! `closed_list!`: the one shape of the closed lists of names this crate defines (audit event
//! kinds, approval states). Each list is a table of `Variant = "name"` entries with their docs,
//! kept in a `for_each_...!` macro that the server also expands for its own copies (the
//! database column type, the GraphQL enum), so no list of names is written twice.

/// Declares an enum from a table: the enum (serde names are the table's names, so the stored,
/// wire and serde forms are one string), `ALL`, `as_str`, `FromStr` with [`crate::UnknownValue`]
/// (exact names only: no case folding, no trimming) and `Display`.
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

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| $crate::UnknownValue::new($what, s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
