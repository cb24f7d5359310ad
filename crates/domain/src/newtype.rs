//! The shared shape of validated text newtypes (ids, codes, hashes): serde through `String`, `as_str`, `Display`.

/// For a `struct $name(String)` with `fn parse(&str) -> Result<$name, $err>`, implements
/// `as_str`, `TryFrom<String>` (so serde can use `try_from = "String"`), `From<$name> for String`
/// and `Display`.
macro_rules! text_newtype {
    ($name:ident, $err:ident) => {
        impl $name {
            /// The text as stored and printed.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $err;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use text_newtype;
