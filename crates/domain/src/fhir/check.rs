//! Structural checks of FHIR R4 JSON: what a validator rejects most often in generated resources.

use chrono::{DateTime, NaiveDate};
use serde_json::Value;

/// True for a FHIR `dateTime` (year, year-month, date, or date-time with seconds and zone).
pub fn is_fhir_datetime(s: &str) -> bool {
    let digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
    match s.len() {
        4 => digits(s),
        7 => digits(&s[..4]) && &s[4..5] == "-" && matches!(s[5..].parse::<u8>(), Ok(1..=12)),
        10 => NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        _ => s.len() > 10 && s.as_bytes()[10] == b'T' && DateTime::parse_from_rfc3339(s).is_ok(),
    }
}

/// The `order` family of request intents that both `Task.intent` and `ServiceRequest.intent` allow.
const ORDER_INTENTS: &[&str] = &[
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
];

/// Structural checks of a FHIR R4 resource as JSON: problems found, empty when none.
///
/// Checks what a validator rejects most often in generated JSON: missing `resourceType`, ids
/// outside `[A-Za-z0-9-.]{1,64}`, empty or null elements, codes outside the required value sets
/// of the resources Drawline exchanges, and malformed dateTimes. It is not a full profile
/// validator.
pub fn check_resource(resource: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    check_into(resource, "", &mut problems);
    problems
}

fn check_into(r: &Value, at: &str, problems: &mut Vec<String>) {
    let Some(kind) = r.get("resourceType").and_then(Value::as_str) else {
        problems.push(format!("{at}: resourceType is missing"));
        return;
    };
    let here = format!("{at}{kind}");
    if let Some(id) = r.get("id") {
        let ok = id.as_str().is_some_and(|s| {
            (1..=64).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        });
        if !ok {
            problems.push(format!("{here}.id: '{id}' is not a valid id"));
        }
    }
    check_empty(r, &here, problems);
    let code_in =
        |field: &str, allowed: &[&str], required: bool, problems: &mut Vec<String>| match r
            .get(field)
        {
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => {}
            Some(v) => problems.push(format!(
                "{here}.{field}: {v} is not one of {}",
                allowed.join("|")
            )),
            None if required => problems.push(format!("{here}.{field} is required")),
            None => {}
        };
    match kind {
        "Specimen" => code_in(
            "status",
            &[
                "available",
                "unavailable",
                "unsatisfactory",
                "entered-in-error",
            ],
            false,
            problems,
        ),
        "Task" => {
            code_in(
                "status",
                &[
                    "draft",
                    "requested",
                    "received",
                    "accepted",
                    "rejected",
                    "ready",
                    "cancelled",
                    "in-progress",
                    "on-hold",
                    "failed",
                    "completed",
                    "entered-in-error",
                ],
                true,
                problems,
            );
            code_in(
                "intent",
                &[&["unknown", "proposal", "plan"], ORDER_INTENTS].concat(),
                true,
                problems,
            );
        }
        "ServiceRequest" => {
            code_in(
                "status",
                &[
                    "draft",
                    "active",
                    "on-hold",
                    "revoked",
                    "completed",
                    "entered-in-error",
                    "unknown",
                ],
                true,
                problems,
            );
            code_in(
                "intent",
                &[&["proposal", "plan", "directive"], ORDER_INTENTS].concat(),
                true,
                problems,
            );
            code_in(
                "priority",
                &["routine", "urgent", "asap", "stat"],
                false,
                problems,
            );
            if r.get("subject").is_none() {
                problems.push(format!("{here}.subject is required"));
            }
        }
        "Patient" => code_in(
            "gender",
            &["male", "female", "other", "unknown"],
            false,
            problems,
        ),
        "Bundle" => code_in(
            "type",
            &[
                "document",
                "message",
                "transaction",
                "transaction-response",
                "batch",
                "batch-response",
                "history",
                "searchset",
                "collection",
            ],
            true,
            problems,
        ),
        _ => {}
    }
    check_datetimes(r, &here, problems);
    for child in ["contained"] {
        if let Some(items) = r.get(child).and_then(Value::as_array) {
            for (i, c) in items.iter().enumerate() {
                check_into(c, &format!("{here}.{child}[{i}]."), problems);
            }
        }
    }
    if kind == "Bundle" {
        if let Some(entries) = r.get("entry").and_then(Value::as_array) {
            for (i, e) in entries.iter().enumerate() {
                if let Some(url) = e.get("fullUrl").and_then(Value::as_str) {
                    if !(url.starts_with("http://")
                        || url.starts_with("https://")
                        || url.starts_with("urn:"))
                    {
                        problems.push(format!("{here}.entry[{i}].fullUrl '{url}' is not absolute"));
                    }
                }
                if let Some(res) = e.get("resource") {
                    check_into(res, &format!("{here}.entry[{i}]."), problems);
                }
            }
        }
    }
}

fn check_empty(v: &Value, at: &str, problems: &mut Vec<String>) {
    match v {
        Value::Null => problems.push(format!("{at}: null is not allowed")),
        Value::String(s) if s.is_empty() => problems.push(format!("{at}: empty string")),
        Value::Array(a) if a.is_empty() => problems.push(format!("{at}: empty array")),
        Value::Object(o) if o.is_empty() => problems.push(format!("{at}: empty object")),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| check_empty(x, &format!("{at}[{i}]"), problems)),
        Value::Object(o) => {
            for (k, x) in o {
                // Contained and bundled resources are checked on their own.
                if k != "contained" && k != "entry" {
                    check_empty(x, &format!("{at}.{k}"), problems);
                }
            }
        }
        _ => {}
    }
}

fn check_datetimes(v: &Value, at: &str, problems: &mut Vec<String>) {
    const DATETIME_FIELDS: &[&str] = &[
        "collectedDateTime",
        "authoredOn",
        "lastModified",
        "occurrenceDateTime",
        "receivedTime",
        "valueDateTime",
        "start",
        "end",
        "timestamp",
    ];
    if let Value::Object(o) = v {
        for (k, x) in o {
            if k == "contained" || k == "entry" {
                continue;
            }
            if DATETIME_FIELDS.contains(&k.as_str()) {
                if let Some(s) = x.as_str() {
                    if !is_fhir_datetime(s) {
                        problems.push(format!("{at}.{k}: '{s}' is not a FHIR dateTime"));
                    }
                }
            }
            if k == "birthDate" {
                let ok = x
                    .as_str()
                    .is_some_and(|s| s.len() != 19 && !s.contains('T') && is_fhir_datetime(s));
                if !ok {
                    problems.push(format!("{at}.birthDate: {x} is not a FHIR date"));
                }
            }
            check_datetimes(x, &format!("{at}.{k}"), problems);
        }
    } else if let Value::Array(a) = v {
        for (i, x) in a.iter().enumerate() {
            check_datetimes(x, &format!("{at}[{i}]"), problems);
        }
    }
}
