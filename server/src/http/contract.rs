//! The error contract of `/api/v1` in the OpenAPI document: the answers every
//! operation can give by the way it is built, added where its own description
//! does not already give them (with the app's `ErrorBody`).
//!
//! - 400 when it takes parameters or a body (a parameter or body the
//!   extractors of [`super::extract`] refuse);
//! - 401 when it resolves its caller (it has `security`, optional or not): a
//!   key or session that is sent must be valid, and operations that need one
//!   refuse callers without; an operation without `security` never looks at
//!   the caller, so it never answers 401;
//! - 403 when it needs a key or session (`security` without the empty, optional
//!   alternative): one that may not do it;
//! - 404 when its address has parameters: nothing there;
//! - 413 and 415 when it takes a body: too large, or not JSON.

use utoipa::openapi::{
    path::{Operation, ParameterIn},
    ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
};

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

/// Adds the answers of the error contract to every `/api/v1` operation.
pub fn document_errors(document: &mut OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            add_error_responses(operation);
        }
    }
}

fn add_error_responses(operation: &mut Operation) {
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let in_path = parameters
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let has_parameters = !parameters.is_empty();
    let body = operation.request_body.as_ref();
    let json_body = body.is_some_and(|b| match b {
        RefOr::T(b) => b.content.keys().any(|k| k.contains("json")),
        RefOr::Ref(_) => true,
    });
    let has_body = body.is_some();
    let requirements = operation.security.as_deref().unwrap_or_default();
    // Optional authentication is an empty requirement beside the others.
    let optional = requirements.iter().any(|r| {
        serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|o| o.is_empty()))
    });
    let resolves_caller = !requirements.is_empty();
    let secured = resolves_caller && !optional;
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    if has_parameters || has_body {
        wanted.push((
            "400",
            "A parameter or the body is not valid: the message says which and why",
        ));
    }
    if resolves_caller {
        wanted.push((
            "401",
            "No valid key or session: none was sent and this needs one, or the one sent has expired or been revoked",
        ));
    }
    if secured {
        wanted.push(("403", "The key or person may not do this"));
    }
    if in_path {
        wanted.push(("404", "Nothing is at this address"));
    }
    if has_body {
        wanted.push(("413", "The body is larger than this operation takes"));
    }
    if json_body {
        wanted.push((
            "415",
            "The body is not sent as JSON (Content-Type: application/json)",
        ));
    }
    let responses = &mut operation.responses.responses;
    for (status, description) in wanted {
        responses
            .entry(status.to_string())
            .or_insert_with(|| error_response(description));
    }
}
