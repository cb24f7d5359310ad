//! One table per enum for its text on the wire: serde spelling, `as_str`, `parse`, `FromStr`, `Display` and `ALL`.

/// Why a text is not one of an enum's wire spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a valid {what}")]
pub struct UnknownWireText {
    /// The enum expected, e.g. `Role`.
    pub what: &'static str,
    /// The text given.
    pub text: String,
}

/// Declares a field-less enum from one table `Variant = "text"` (or `Variant = "text" => "words"`,
/// which adds `display()`): its serde form, `ALL`, `as_str()`, `parse()`, and (unless the invocation starts with `custom Display;` or
/// `custom FromStr;`) `Display` and `FromStr`. Every wire enum derives `Debug`, `Clone`, `Copy`,
/// the comparisons, `Hash`, serde and (with the `openapi` feature) `ToSchema`; an invocation adds
/// only other derives (e.g. `Default`).
macro_rules! wire_enum {
    (@core
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal => $words:literal),+ $(,)?
        }
    ) => {
        $crate::wire::wire_enum!(@core
            $(#[$meta])*
            $vis enum $name {
                $($(#[$vmeta])* $variant = $text),+
            }
        );

        impl $name {
            /// The words people read for it (a table, a label, a choice on screen).
            pub const fn display(self) -> &'static str {
                match self {
                    $(Self::$variant => $words,)+
                }
            }
        }
    };
    (@core
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(::serde::Serialize, ::serde::Deserialize)]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        // By hand, not derived: the derive does not read a `serde(rename)` that a macro wrote, and
        // would document the Rust names instead of the wire spellings.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The wire and stored spelling (also the serde form).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// Parses the wire and stored spelling.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
    (@display $name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    (@from_str $name:ident) => {
        impl ::std::str::FromStr for $name {
            type Err = $crate::wire::UnknownWireText;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text).ok_or_else(|| $crate::wire::UnknownWireText {
                    what: stringify!($name),
                    text: text.to_owned(),
                })
            }
        }
    };
    (custom Display; $(#[$meta:meta])* $vis:vis enum $name:ident $body:tt) => {
        $crate::wire::wire_enum!(@core $(#[$meta])* $vis enum $name $body);
        $crate::wire::wire_enum!(@from_str $name);
    };
    (custom FromStr; $(#[$meta:meta])* $vis:vis enum $name:ident $body:tt) => {
        $crate::wire::wire_enum!(@core $(#[$meta])* $vis enum $name $body);
        $crate::wire::wire_enum!(@display $name);
    };
    ($(#[$meta:meta])* $vis:vis enum $name:ident $body:tt) => {
        $crate::wire::wire_enum!(@core $(#[$meta])* $vis enum $name $body);
        $crate::wire::wire_enum!(@display $name);
        $crate::wire::wire_enum!(@from_str $name);
    };
}

pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    wire_enum! {
        /// A test enum.
        enum Colour {
            /// Red.
            Red = "red",
            /// Dark blue.
            DarkBlue = "dark-blue",
        }
    }

    #[test]
    fn one_table_gives_serde_text_parsing_display_and_all() {
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::DarkBlue]);
        for c in Colour::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
            assert_eq!(c.as_str().parse::<Colour>(), Ok(*c));
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!(Colour::DarkBlue.as_str(), "dark-blue");
        let err = "green".parse::<Colour>().unwrap_err();
        assert_eq!(err.to_string(), "'green' is not a valid Colour");
        assert!(serde_json::from_str::<Colour>("\"green\"").is_err());
    }
}
