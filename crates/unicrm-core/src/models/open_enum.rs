//! `open_enum!`: enums that keep values they do not know (`Other(String)`), serialized as
//! snake_case strings, parsed case-insensitively.

/// Declares an open enum: known variants with their wire spelling plus `Other(String)`.
///
/// Parsing is case-insensitive and also accepts spaces or dashes for underscores; unknown
/// values are kept verbatim in `Other` and serialized back unchanged.
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version of unicrm does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The wire spelling (snake_case for known values).
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Other(s) => s.as_str(),
                }
            }

            /// Parses leniently: case-insensitive, `-` and ` ` treated as `_`.
            pub fn parse(s: &str) -> Self {
                let norm: String = s
                    .trim()
                    .chars()
                    .map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() })
                    .collect();
                $( if norm == $wire { return $name::$variant; } )*
                $name::Other(s.to_string())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok(Self::parse(&s))
            }
        }
    };
}
