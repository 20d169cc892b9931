//! The OpenAPI document: served, complete, and true to the router.

use std::collections::BTreeSet;

use crate::support::{test_app, Backend};
use axum::http::{Method, StatusCode};
use serde_json::Value;

/// Every route of the API, as a person reading the issue would list them.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/_status"),
    ("get", "/_status/data-sets"),
    ("get", "/_status/ready"),
    ("get", "/api/openapi.json"),
    ("get", "/data/{group}/{data_type}"),
    ("post", "/data/{group}/{data_type}"),
    ("put", "/data/{group}/{data_type}"),
    ("options", "/data/{group}/{data_type}"),
    ("delete", "/data/{group}/{data_type}/{id}"),
    ("patch", "/data/{group}/{data_type}/{id}"),
    ("get", "/api/v1/services"),
    ("get", "/api/v1/services/{slug}"),
    ("get", "/api/v1/service-kpis"),
    ("get", "/api/v1/data-sets"),
    ("post", "/api/v1/data-sets"),
    ("get", "/api/v1/data-sets/{group}/{data_type}"),
    ("patch", "/api/v1/data-sets/{group}/{data_type}"),
    ("delete", "/api/v1/data-sets/{group}/{data_type}"),
    ("post", "/api/v1/data-sets/{group}/{data_type}/token"),
    ("get", "/api/v1/data-sets/{group}/{data_type}/history"),
    ("get", "/api/v1/dashboards"),
    ("post", "/api/v1/dashboards"),
    ("get", "/api/v1/dashboards/{slug}"),
    ("put", "/api/v1/dashboards/{slug}"),
    ("delete", "/api/v1/dashboards/{slug}"),
    ("get", "/api/v1/dashboards/{slug}/freshness"),
    ("post", "/api/v1/dashboards/{slug}/publish"),
    ("post", "/api/v1/services/{slug}/dashboard"),
    ("get", "/api/v1/annotations"),
    ("post", "/api/v1/annotations"),
    ("get", "/api/v1/annotations/{id}"),
    ("put", "/api/v1/annotations/{id}"),
    ("delete", "/api/v1/annotations/{id}"),
    ("get", "/api/v1/annotations/{id}/versions"),
    ("get", "/api/v1/boards/{organisation}"),
    ("get", "/api/v1/boards/portfolio/{id}"),
    ("get", "/api/v1/portfolios"),
    ("post", "/api/v1/portfolios"),
    ("get", "/api/v1/portfolios/{id}"),
    ("put", "/api/v1/portfolios/{id}"),
    ("delete", "/api/v1/portfolios/{id}"),
    ("get", "/api/v1/targets"),
    ("post", "/api/v1/targets"),
    ("delete", "/api/v1/targets/{id}"),
    ("get", "/api/v1/compare"),
    ("get", "/api/v1/guide"),
    ("get", "/api/v1/guide/{page}"),
    ("get", "/api/v1/data-types"),
    ("get", "/api/v1/data-types/{name}"),
    ("get", "/api/v1/data-types/{name}/template.csv"),
    ("post", "/api/v1/data-sets/{group}/{data_type}/upload"),
    ("get", "/api/v1/organisations"),
    ("post", "/api/v1/organisations"),
    ("get", "/api/v1/organisations/{slug}"),
    ("put", "/api/v1/organisations/{slug}"),
    ("delete", "/api/v1/organisations/{slug}"),
    ("post", "/api/v1/services"),
    ("put", "/api/v1/services/{slug}"),
    ("delete", "/api/v1/services/{slug}"),
    ("get", "/api/v1/session"),
    ("post", "/api/v1/session"),
    ("post", "/api/v1/session/sign-out"),
    ("post", "/api/v1/session/sign-out-everywhere"),
    ("put", "/api/v1/session/password"),
    ("get", "/api/v1/sessions"),
    ("delete", "/api/v1/sessions/{id}"),
    ("get", "/api/v1/api-keys"),
    ("post", "/api/v1/api-keys"),
    ("post", "/api/v1/api-keys/{id}/revoke"),
    ("post", "/api/v1/api-keys/{id}/rotate"),
    ("get", "/api/v1/users"),
    ("post", "/api/v1/users"),
    ("get", "/api/v1/users/{id}"),
    ("patch", "/api/v1/users/{id}"),
    ("get", "/api/v1/audit"),
    ("get", "/api/v1/invitations"),
    ("post", "/api/v1/invitations"),
    ("delete", "/api/v1/invitations/{id}"),
    ("get", "/api/v1/invitation"),
    ("post", "/api/v1/invitation"),
    ("get", "/api/v1/password-reset"),
    ("post", "/api/v1/password-reset"),
    ("post", "/api/v1/password-reset/complete"),
    ("post", "/api/v1/mail/unsubscribe"),
    ("get", "/api/v1/mail"),
    ("get", "/api/v1/reminders"),
    ("put", "/api/v1/reminders/{group}/{data_type}"),
    ("get", "/api/v1/alerts"),
    ("post", "/api/v1/alerts"),
    ("delete", "/api/v1/alerts/{id}"),
    ("get", "/api/v1/digests"),
    ("post", "/api/v1/digests"),
    ("delete", "/api/v1/digests/{id}"),
    ("post", "/api/v1/digests/{id}/copy"),
    ("get", "/api/v1/live/{group}/{data_type}"),
    ("put", "/api/v1/e-mail"),
    ("get", "/api/v1/two-factor"),
    ("post", "/api/v1/two-factor"),
    ("post", "/api/v1/two-factor/setup"),
    ("post", "/api/v1/two-factor/off"),
    ("put", "/api/v1/two-factor/requirement"),
    ("post", "/api/v1/session/code"),
];

fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete", "options"].contains(&method.as_str()) {
                out.insert((method.clone(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_document_is_served_and_lists_every_route() {
    let app = test_app(Backend::Sqlite).await;
    let answer = app.get("/api/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    let document = answer.json();
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(document["info"]["title"], "Pulse");
    assert!(document["components"]["securitySchemes"]["bearer"].is_object());
    assert!(document["components"]["schemas"]["ServiceOverview"].is_object());
    let documented = operations(&document);
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected);
}

/// Each documented operation is served (never axum's bare 404 or a 405), and on
/// each documented path every other method is refused with 405 (or, at a
/// record's address under `/data`, the data API's JSON 404 for an address it
/// does not have): the router holds nothing the document does not show.
#[tokio::test]
async fn the_router_serves_exactly_what_is_documented() {
    let app = test_app(Backend::Sqlite).await;
    let document = app.get("/api/openapi.json").await.json();
    let documented = operations(&document);
    let paths: BTreeSet<&String> = documented.iter().map(|(_, p)| p).collect();
    let methods = ["get", "post", "put", "patch", "delete"];
    for path in paths {
        let uri = path
            .replace("{group}", "no-group")
            .replace("{data_type}", "no-type")
            .replace("{id}", "no-id")
            .replace("{slug}", "no-service");
        for method in methods {
            let answer = app
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    &uri,
                    &[],
                    vec![],
                )
                .await;
            let is_documented = documented.contains(&(method.to_string(), path.clone()));
            if is_documented {
                assert_ne!(
                    answer.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path}"
                );
                if answer.status == StatusCode::NOT_FOUND {
                    // The route's own "not found", with a JSON body, not a missing route.
                    assert!(
                        serde_json::from_slice::<Value>(&answer.body).is_ok(),
                        "{method} {path}"
                    );
                }
            } else if path.starts_with("/data/") && path.ends_with("/{id}") {
                // A record's address takes only PATCH and DELETE; any other
                // method is no route of the data API: its JSON 404.
                assert_eq!(
                    answer.status,
                    StatusCode::NOT_FOUND,
                    "{method} {path} is served but not documented"
                );
                assert_eq!(answer.json()["status"], "error", "{method} {path}");
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is served but not documented"
                );
            }
        }
    }
}

/// Every parameter declared in the path is a `{name}` of the path (none of the
/// query's parameters is declared there), and every `{name}` is declared.
#[tokio::test]
async fn parameters_are_where_the_path_says() {
    let app = test_app(Backend::Sqlite).await;
    let document = app.get("/api/openapi.json").await.json();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for p in &parameters {
                let name = p["name"].as_str().unwrap();
                if p["in"] == "path" {
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: `{name}` is declared in the path but is not in it"
                    );
                    assert_eq!(p["required"], true, "{method} {path}: {name}");
                }
            }
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    parameters
                        .iter()
                        .any(|p| p["in"] == "path" && p["name"] == name),
                    "{method} {path}: `{name}` is not declared"
                );
            }
        }
    }
}

/// Every `/api/v1` operation documents its refusals with the error body: 400
/// when it takes parameters or a body, 401 when it looks at its caller (it has
/// `security`, optional or not: a key sent must be valid), 403 when it needs a
/// key or session, 413 and 415 when it takes a JSON body. An operation that
/// never looks at its caller documents no 401.
#[tokio::test]
async fn every_operation_documents_its_refusals() {
    let app = test_app(Backend::Sqlite).await;
    let document = app.get("/api/openapi.json").await.json();
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let responses = &operation["responses"];
            let has_parameters = operation["parameters"]
                .as_array()
                .is_some_and(|p| !p.is_empty());
            let body = &operation["requestBody"];
            let mut wanted = Vec::new();
            if has_parameters || body.is_object() {
                wanted.push("400");
            }
            let security = operation["security"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let optional = security
                .iter()
                .any(|r| r.as_object().is_some_and(|o| o.is_empty()));
            if security.is_empty() {
                // Signing in answers 401 to wrong credentials, by its own
                // description; none has the contract's "no valid key" 401.
                assert!(
                    !responses["401"]["description"]
                        .as_str()
                        .is_some_and(|d| d.starts_with("No valid key or session")),
                    "{method} {path} never looks at its caller, yet documents a 401"
                );
            } else {
                wanted.push("401");
                if !optional {
                    wanted.push("403");
                }
            }
            if body.is_object() {
                wanted.push("413");
            }
            if body["content"]
                .as_object()
                .is_some_and(|c| c.contains_key("application/json"))
            {
                wanted.push("415");
            }
            for status in wanted {
                let response = &responses[status];
                assert!(
                    response.is_object(),
                    "{method} {path} does not document {status}"
                );
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
        }
    }
}

/// Operations that change things need a key or a session, and say so;
/// signing in, and what an e-mail's link does (its token is the
/// credential), are for people without one.
#[tokio::test]
async fn changes_declare_their_security() {
    let app = test_app(Backend::Sqlite).await;
    let document = app.get("/api/openapi.json").await.json();
    let by_link = [
        "/api/v1/session",
        "/api/v1/invitation",
        "/api/v1/password-reset",
        "/api/v1/password-reset/complete",
        "/api/v1/mail/unsubscribe",
    ];
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") || by_link.contains(&path.as_str()) {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            if ["post", "put", "patch", "delete"].contains(&method.as_str()) {
                assert!(
                    operation["responses"]["401"].is_object(),
                    "{method} {path} does not document 401"
                );
            }
        }
    }
}

/// Every JSON answer of `/api/v1` is a named type (a `$ref` to a schema of
/// `app::model`, or a list of one), not free JSON: the contract is typed.
#[tokio::test]
async fn every_api_v1_request_and_answer_is_a_named_type() {
    let app = test_app(Backend::Sqlite).await;
    let document = app.get("/api/openapi.json").await.json();
    let mut untyped = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            // The JSON body it takes, too.
            if let Some(schema) =
                operation["requestBody"]["content"]["application/json"]["schema"].as_object()
            {
                if !schema.contains_key("$ref") {
                    untyped.push(format!("{method} {path} request: {schema:?}"));
                }
            }
            for (status, response) in operation["responses"].as_object().unwrap() {
                let Some(schema) = response["content"]["application/json"]["schema"].as_object()
                else {
                    continue;
                };
                let named = schema.contains_key("$ref")
                    || schema
                        .get("items")
                        .is_some_and(|items| items.get("$ref").is_some());
                if !named {
                    untyped.push(format!("{method} {path} {status}: {schema:?}"));
                }
            }
        }
    }
    assert!(
        untyped.is_empty(),
        "untyped requests or answers:\n{}",
        untyped.join("\n")
    );
    // Free JSON only where a field really is free: a record's fields, a note's
    // particulars, a data set's JSON Schema.
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in [
        "Done",
        "DataSetList",
        "AuditLog",
        "SessionList",
        "DataSetHistory",
    ] {
        assert!(schemas.contains_key(name), "{name} is not in the document");
    }
}
