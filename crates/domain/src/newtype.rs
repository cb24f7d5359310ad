//! The shared shape of validated text newtypes (ids, codes, hashes): serde through `String`, `as_str`, `Display`, the parse verdict.

/// For a `struct $name(String)` with `fn parse(&str) -> Result<$name, $err>` and a
/// `struct $err(pub String)`, implements `as_str`, `TryFrom<String>` (so serde can use
/// `try_from = "String"`), `From<$name> for String`, `Display`, and the private `checked` that
/// `parse` ends with.
macro_rules! text_newtype {
    ($name:ident, $err:ident) => {
        impl $name {
            /// The text as stored and printed.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// `stored` (the text as `parse` normalised it) when `valid`, otherwise the error
            /// quoting `text` as given.
            fn checked(stored: String, valid: bool, text: &str) -> Result<Self, $err> {
                if valid {
                    Ok(Self(stored))
                } else {
                    Err($err(text.to_owned()))
                }
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
