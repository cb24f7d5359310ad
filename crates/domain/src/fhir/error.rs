//! Why a FHIR resource cannot be turned into Drawline orders.

/// A FHIR resource that cannot be turned into Drawline orders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FhirError {
    /// Not a Bundle.
    #[error("expected a FHIR Bundle, found {0}")]
    NotABundle(String),
    /// A required element is missing.
    #[error("{resource}: {element} is missing")]
    Missing {
        /// `Type/id` of the resource.
        resource: String,
        /// Element path.
        element: String,
    },
    /// An element with an unusable value.
    #[error("{resource}: {element} '{value}' is not valid: {why}")]
    Invalid {
        /// `Type/id` of the resource.
        resource: String,
        /// Element path.
        element: String,
        /// Value found.
        value: String,
        /// Why not.
        why: String,
    },
    /// A ServiceRequest whose subject is not in the bundle.
    #[error("{resource}: subject '{reference}' is not a Patient in this bundle")]
    UnknownSubject {
        /// `ServiceRequest/id`.
        resource: String,
        /// The reference.
        reference: String,
    },
    /// A ServiceRequest whose code is not in the site catalog.
    #[error("{resource}: no catalog test for code {codes}")]
    UnknownTest {
        /// `ServiceRequest/id`.
        resource: String,
        /// Codes tried, `system|code`.
        codes: String,
    },
}

impl FhirError {
    /// `element` of `resource` (`Type/id`) is missing.
    pub fn missing(resource: &str, element: &str) -> Self {
        FhirError::Missing {
            resource: resource.into(),
            element: element.into(),
        }
    }

    /// `element` of `resource` (`Type/id`) holds `value`, which is not valid because `why`.
    pub fn invalid(resource: &str, element: &str, value: &str, why: &str) -> Self {
        FhirError::Invalid {
            resource: resource.into(),
            element: element.into(),
            value: value.into(),
            why: why.into(),
        }
    }
}
