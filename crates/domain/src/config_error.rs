//! Site configuration files: how one is read (parsed, then validated) and what is wrong with one: file, entry, problem.

/// A configuration file that cannot be used: which file, which entry, what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {entry}: {problem}")]
pub struct ConfigError {
    /// The file name as given by the loader.
    pub file: String,
    /// The entry, e.g. `tests[4] 'CBC'`.
    pub entry: String,
    /// What is wrong with it.
    pub problem: ConfigProblem,
}

impl ConfigError {
    /// Builds an error for `entry` of `file`.
    pub fn new(file: &str, entry: &str, problem: ConfigProblem) -> Self {
        Self {
            file: file.to_owned(),
            entry: entry.to_owned(),
            problem,
        }
    }
}

/// What is wrong with a configuration entry.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigProblem {
    /// Not valid JSON, or a field of the wrong type or value.
    #[error("cannot be read: {0}")]
    Syntax(String),
    /// A reference to a container the order of draw does not define.
    #[error("unknown container '{0}'")]
    UnknownContainer(String),
    /// The same code or id defined twice.
    #[error("'{0}' is defined more than once")]
    Duplicate(String),
    /// A volume that is zero, negative or not a number.
    #[error("{field} must be a positive number of mL, not {value}")]
    NotPositiveVolume {
        /// Field name.
        field: String,
        /// Value found.
        value: f64,
    },
    /// A container listed twice in the order: the order would loop back on itself.
    #[error("'{0}' appears more than once in the order of draw (a cycle)")]
    RepeatedInOrder(String),
    /// A defined container with no place in the order: a gap.
    #[error("'{0}' is defined but has no place in the order of draw (a gap)")]
    MissingFromOrder(String),
    /// Any other invalid value.
    #[error("{0}")]
    Invalid(String),
}

/// For a configuration type `$ty` read through its raw form `$data` (serde `try_from = "$data"`)
/// and validated by `$ty::validate(file, data)`: implements `from_json` and `TryFrom<$data>`
/// (which names the file `$file`, the type's default file name).
macro_rules! config_file {
    ($ty:ident, $data:ident, $file:expr) => {
        impl $ty {
            /// Parses and validates the JSON text of this configuration file; errors name `file`.
            pub fn from_json(
                file: &str,
                text: &str,
            ) -> Result<Self, $crate::config_error::ConfigError> {
                let data: $data = serde_json::from_str(text).map_err(|e| {
                    $crate::config_error::ConfigError::new(
                        file,
                        "(file)",
                        $crate::config_error::ConfigProblem::Syntax(e.to_string()),
                    )
                })?;
                Self::validate(file, data)
            }
        }

        impl TryFrom<$data> for $ty {
            type Error = $crate::config_error::ConfigError;
            fn try_from(data: $data) -> Result<Self, Self::Error> {
                Self::validate($file, data)
            }
        }
    };
}

pub(crate) use config_file;
