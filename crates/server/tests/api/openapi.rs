//! The OpenAPI document: whole (every schema it names is in it) and honest about every answer.

use serde_json::Value;

use crate::helpers::spawn_app;

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_schema_the_document_refers_to_is_in_the_document() {
    let app = spawn_app().await;
    let doc: Value = app.get_public("/openapi.json").await;
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    let missing: Vec<&String> = found
        .iter()
        .filter(|r| {
            let name = r.trim_start_matches("#/components/schemas/");
            !r.starts_with("#/components/schemas/") || doc["components"]["schemas"][name].is_null()
        })
        .collect();
    assert!(missing.is_empty(), "dangling references: {missing:?}");
}

#[tokio::test]
async fn every_route_documents_the_answers_the_layers_around_it_can_give() {
    let app = spawn_app().await;
    let doc: Value = app.get_public("/openapi.json").await;
    for (method, path, op) in operations(&doc) {
        let responses = &op["responses"];
        for status in ["408", "500", "503"] {
            assert!(
                responses[status].is_object(),
                "{method} {path} lacks {status}"
            );
        }
        if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
            for status in ["401", "403", "429"] {
                assert!(
                    responses[status].is_object(),
                    "{method} {path} lacks {status}"
                );
            }
        }
        if op["requestBody"].is_object() {
            for status in ["400", "413", "415", "422"] {
                assert!(
                    responses[status].is_object(),
                    "{method} {path} lacks {status}"
                );
            }
        }
        if op["parameters"].as_array().is_some_and(|p| !p.is_empty()) {
            assert!(responses["400"].is_object(), "{method} {path} lacks 400");
        }
        for (status, answer) in responses.as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                assert!(
                    !answer["content"]["application/json"]["schema"].is_null(),
                    "{method} {path} {status} has no problem schema"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_route_keeps_its_own_description_of_an_answer_it_documents_itself() {
    let app = spawn_app().await;
    let doc: Value = app.get_public("/openapi.json").await;
    let push = &doc["paths"]["/sync/push"]["post"]["responses"];
    assert!(push["413"]["description"]
        .as_str()
        .unwrap()
        .contains("MAX_PUSH_RECORDS"));
}

#[tokio::test]
async fn enums_are_documented_with_their_wire_spellings() {
    let app = spawn_app().await;
    let doc: Value = app.get_public("/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Role"]["enum"],
        serde_json::json!(["collector", "supervisor", "admin"])
    );
    assert_eq!(schemas["DeviceStatus"]["enum"][1], "enrolled");
}
