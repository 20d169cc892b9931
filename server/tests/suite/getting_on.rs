//! Getting on Pulse over HTTP, on SQLite and on Postgres: the data types
//! catalogue and its templates, editors creating services and data sets from
//! types (schema and auto_ids set), spreadsheet uploads previewed with every
//! problem and stored all or nothing with the upload in the correction
//! history, and the guide rendered with this installation's figures.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{call, signed_in, with_demo_and_people, Answer, TestApp};

const DRB: &str = "department-of-revenue-and-benefits";
const OTHER: &str = "department-for-civic-life";

/// Sends a file's bytes to the upload route with `who`'s headers.
async fn upload(
    app: &TestApp,
    who: &[(String, String)],
    data_set: &str,
    query: &str,
    bytes: &[u8],
) -> Answer {
    let headers: Vec<(&str, &str)> = who.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.request(
        Method::POST,
        &format!("/api/v1/data-sets/{data_set}/upload?{query}"),
        &headers,
        bytes.to_vec(),
    )
    .await
}

/// A new service in the editor's department with a completion-rate data set
/// made from its type; returns the data set's write token.
async fn fishing(app: &TestApp, editor: &[(String, String)]) -> String {
    let made = call(
        app,
        Method::POST,
        "/api/v1/services",
        editor,
        Some(&json!({"slug": "apply-for-a-boat-licence", "title": "Apply for a boat licence", "organisation": DRB})),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let ds = call(
        app,
        Method::POST,
        "/api/v1/data-sets",
        editor,
        Some(&json!({"data_group": "apply-for-a-boat-licence", "data_type": "completion-rate", "from_type": "completion-rate"})),
    )
    .await;
    assert_eq!(ds.status, StatusCode::CREATED, "{}", ds.text());
    ds.json()["bearer_token"].as_str().unwrap().to_string()
}

async fn history(app: &TestApp, who: &[(String, String)]) -> Vec<Value> {
    let answer = call(
        app,
        Method::GET,
        "/api/v1/data-sets/apply-for-a-boat-licence/completion-rate/history",
        who,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["history"].as_array().unwrap().clone()
}

async fn stored(app: &TestApp) -> Value {
    let answer = app
        .get("/data/apply-for-a-boat-licence/completion-rate?sort_by=_timestamp:ascending")
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    answer.json()["data"].clone()
}

async fn the_catalogue_lists_types_with_templates(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let list = app.get("/api/v1/data-types").await;
    assert_eq!(list.status, StatusCode::OK);
    let list = list.json();
    let names: Vec<&str> = list["data_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, app::catalogue::NAMES);
    // The demo has 14 services, each with the four standard data sets.
    let transactions = &list["data_types"][0];
    assert_eq!(transactions["data_sets"], 14);
    assert_eq!(transactions["auto_ids"], json!(["_timestamp", "channel"]));
    assert_eq!(
        transactions["kpis"],
        json!(["transactions", "digital_take_up"])
    );
    assert_eq!(list["data_types"][4]["data_sets"], 0);

    let one = app.get("/api/v1/data-types/user-satisfaction").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["fields"].as_array().unwrap().len(), 7);
    assert_eq!(one.json()["schema"]["required"][6], "total");

    let template = app
        .get("/api/v1/data-types/completion-rate/template.csv")
        .await;
    assert_eq!(template.status, StatusCode::OK);
    assert!(template.header("content-type").starts_with("text/csv"));
    assert!(template
        .header("content-disposition")
        .contains("completion-rate-template.csv"));
    assert_eq!(
        template.text(),
        "_timestamp,stage,count\n2026-11-16T00:00:00Z,start,1040\n2026-11-16T00:00:00Z,end,812\n"
    );
    let unknown = app.get("/api/v1/data-types/nonsense").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.json()["message"]
        .as_str()
        .unwrap()
        .contains("transactions-by-channel"));
}
both!(the_catalogue_lists_types_with_templates);

async fn editors_make_services_and_data_sets_from_types(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let editor = signed_in(&app, "editor@demo.pulse.example").await;
    let viewer = signed_in(&app, "viewer@demo.pulse.example").await;

    // A service only in one's own organisation.
    let elsewhere = call(
        &app,
        Method::POST,
        "/api/v1/services",
        &editor,
        Some(&json!({"slug": "not-mine", "title": "Not mine", "organisation": OTHER})),
    )
    .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::FORBIDDEN,
        "{}",
        elsewhere.text()
    );
    let as_viewer = call(
        &app,
        Method::POST,
        "/api/v1/services",
        &viewer,
        Some(&json!({"slug": "viewers", "title": "Viewer's", "organisation": DRB})),
    )
    .await;
    assert_eq!(as_viewer.status, StatusCode::FORBIDDEN);
    let token = fishing(&app, &editor).await;

    // The data set took the type's schema and auto_ids.
    let shown = call(
        &app,
        Method::GET,
        "/api/v1/data-sets/apply-for-a-boat-licence/completion-rate",
        &editor,
        None,
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text());
    let spec = app::catalogue::find("completion-rate").unwrap();
    assert_eq!(shown.json()["auto_ids"], json!(spec.auto_ids));
    assert_eq!(shown.json()["schema"], spec.schema);
    assert_eq!(shown.json()["published"], false);

    // Bad requests say why, and make nothing.
    for (body, expected, status) in [
        (
            json!({"data_group": "apply-for-a-boat-licence", "data_type": "x", "from_type": "nonsense"}),
            "is not a data type of the catalogue",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"data_group": "apply-for-a-boat-licence", "data_type": "y", "from_type": "journey", "auto_ids": ["step"]}),
            "send neither with it",
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"data_group": "register-a-birth", "data_type": "journey", "from_type": "journey"}),
            "not yours",
            StatusCode::FORBIDDEN,
        ),
        (
            json!({"data_group": "no-such-service", "data_type": "journey", "from_type": "journey"}),
            "Only admins",
            StatusCode::FORBIDDEN,
        ),
        (
            json!({"data_group": "apply-for-a-boat-licence", "data_type": "completion-rate", "from_type": "completion-rate"}),
            "already",
            StatusCode::CONFLICT,
        ),
    ] {
        let answer = call(
            &app,
            Method::POST,
            "/api/v1/data-sets",
            &editor,
            Some(&body),
        )
        .await;
        assert_eq!(answer.status, status, "{body}: {}", answer.text());
        assert!(
            answer.json()["message"]
                .as_str()
                .unwrap()
                .contains(expected),
            "{body}: {}",
            answer.text()
        );
    }

    // An editor lists only their organisation's data sets.
    let listed = call(&app, Method::GET, "/api/v1/data-sets", &editor, None).await;
    assert_eq!(listed.status, StatusCode::OK);
    let groups: Vec<String> = listed.json()["data_sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["data_group"].as_str().unwrap().to_string())
        .collect();
    assert!(groups.contains(&"apply-for-a-boat-licence".to_string()));
    assert!(groups.contains(&"file-a-tax-return".to_string()));
    assert!(!groups.contains(&"register-a-birth".to_string()));

    // The schema refuses records the type does not describe.
    let bad = app
        .send(
            Method::POST,
            "/data/apply-for-a-boat-licence/completion-rate",
            &token,
            &json!([{"_timestamp": "2026-11-16T00:00:00Z", "stage": "middle", "count": 3}]),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json()["errors"][0]["field"], "stage");
    let good = app
        .send(
            Method::POST,
            "/data/apply-for-a-boat-licence/completion-rate",
            &token,
            &json!([{"_timestamp": "2026-11-16T00:00:00Z", "stage": "start", "count": 3}]),
        )
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text());

    // A dashboard of the builder's modules passes the dashboard checks.
    let modules = app::catalogue::modules_for("apply-for-a-boat-licence", "completion_rate");
    let dashboard = call(
        &app,
        Method::POST,
        "/api/v1/dashboards",
        &editor,
        Some(&json!({
            "slug": "apply-for-a-boat-licence", "title": "Apply for a boat licence",
            "service": "apply-for-a-boat-licence", "status": "unpublished", "modules": modules,
        })),
    )
    .await;
    assert_eq!(
        dashboard.status,
        StatusCode::CREATED,
        "{}",
        dashboard.text()
    );
    // Publishing its data set is the editor's to do.
    let published = call(
        &app,
        Method::PATCH,
        "/api/v1/data-sets/apply-for-a-boat-licence/completion-rate",
        &editor,
        Some(&json!({"published": true})),
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text());
    // The guide's address is Pulse's own.
    let taken = call(
        &app,
        Method::POST,
        "/api/v1/dashboards",
        &editor,
        Some(&json!({"slug": "guide", "title": "Guide", "service": "apply-for-a-boat-licence", "status": "unpublished"})),
    )
    .await;
    assert_eq!(taken.status, StatusCode::BAD_REQUEST, "{}", taken.text());
}
both!(editors_make_services_and_data_sets_from_types);

const BAD_CSV: &str = "_timestamp,stage,count\n\
    2026-11-09,start,100\n\
    2026-11-09,middle,80\n\
    2026-11-16T00:00:00Z,start,120\n\
    2026-11-16T00:00:00Z,end,-4\n";

const GOOD_CSV: &str = "_timestamp,stage,count\n\
    2026-11-09,start,100\n\
    2026-11-09,end,80\n\
    2026-11-16T00:00:00Z,start,120\n\
    2026-11-16T00:00:00Z,end,96\n";

async fn uploads_are_previewed_then_stored_whole(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let editor = signed_in(&app, "editor@demo.pulse.example").await;
    let token = fishing(&app, &editor).await;
    let ds = "apply-for-a-boat-licence/completion-rate";

    // Every problem, by row and column; nothing stored, even when asked to.
    let preview = upload(
        &app,
        &editor,
        ds,
        "file_name=figures.csv",
        BAD_CSV.as_bytes(),
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text());
    let p = preview.json();
    assert_eq!(p["records"], 4);
    assert_eq!(p["format"], "csv");
    let problems = p["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0]["row"], 3);
    assert_eq!(problems[0]["column"], "B (stage)");
    assert!(problems[0]["message"].as_str().unwrap().contains("middle"));
    assert_eq!(problems[1]["row"], 5);
    assert_eq!(problems[1]["column"], "C (count)");
    let refused = upload(
        &app,
        &editor,
        ds,
        "file_name=figures.csv&store=true",
        BAD_CSV.as_bytes(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("2 problems; nothing was stored"));
    assert_eq!(stored(&app).await, json!([]));
    assert!(history(&app, &editor).await.is_empty());

    // Fixed: four new records, stored together, and the upload in the history.
    let preview = upload(
        &app,
        &editor,
        ds,
        "file_name=figures.csv",
        GOOD_CSV.as_bytes(),
    )
    .await;
    let p = preview.json();
    assert_eq!(
        (p["new"].clone(), p["replaced"].clone()),
        (json!(4), json!(0))
    );
    assert_eq!(p["problems"], json!([]));
    assert_eq!(p["rows"][0]["record"]["_timestamp"], "2026-11-09T00:00:00Z");
    assert_eq!(stored(&app).await, json!([]), "a preview stores nothing");
    let done = upload(
        &app,
        &editor,
        ds,
        "file_name=figures.csv&store=true",
        GOOD_CSV.as_bytes(),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(done.json()["stored"], true);
    let records = stored(&app).await;
    assert_eq!(records.as_array().unwrap().len(), 4);
    let entries = history(&app, &editor).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"], "upload");
    assert_eq!(entries[0]["record_id"], "figures.csv");
    assert_eq!(entries[0]["actor"], "user:editor@demo.pulse.example");
    assert_eq!(
        entries[0]["new_value"],
        json!({"file_name": "figures.csv", "records": 4, "new": 4, "replaced": 0, "unchanged": 0})
    );

    // A correction: one changed, three the same; before and after shown.
    let corrected = GOOD_CSV.replace("2026-11-09,end,80", "2026-11-09,end,85");
    let p = upload(
        &app,
        &editor,
        ds,
        "file_name=corrected.csv",
        corrected.as_bytes(),
    )
    .await
    .json();
    assert_eq!(
        (
            p["new"].clone(),
            p["replaced"].clone(),
            p["unchanged"].clone()
        ),
        (json!(0), json!(1), json!(3))
    );
    assert_eq!(p["replacements"][0]["row"], 3);
    assert_eq!(p["replacements"][0]["before"]["count"], 80);
    assert_eq!(p["replacements"][0]["after"]["count"], 85);
    let done = upload(
        &app,
        &editor,
        ds,
        "file_name=corrected.csv&store=true",
        corrected.as_bytes(),
    )
    .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    let entries = history(&app, &editor).await;
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.iter().filter(|a| **a == "upload").count(), 2);
    // Only the changed record is replaced; the same ones are left alone.
    assert_eq!(actions.iter().filter(|a| **a == "replace").count(), 1);
    let changed = entries
        .iter()
        .find(|e| e["action"] == "replace" && e["old_value"]["count"] == 80)
        .expect("the replaced value is in the history");
    assert_eq!(changed["new_value"]["count"], 85);

    // An XLSX workbook, its dates as date cells, from the data set's writer.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (c, name) in ["_timestamp", "stage", "count"].iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 11, 2).unwrap();
    sheet.write_datetime_with_format(1, 0, &day, &date).unwrap();
    sheet.write_string(1, 1, "start").unwrap();
    sheet.write_number(1, 2, 90.0).unwrap();
    book.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let writer = vec![("authorization".to_string(), format!("Bearer {token}"))];
    let p = upload(&app, &writer, ds, "file_name=book.xlsx&store=true", &bytes).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.text());
    assert_eq!(p.json()["format"], "xlsx");
    assert_eq!(
        p.json()["rows"][0]["record"]["_timestamp"],
        "2026-11-02T00:00:00Z"
    );
    assert_eq!(stored(&app).await.as_array().unwrap().len(), 5);
}
both!(uploads_are_previewed_then_stored_whole);

/// An upload is checked against the stored records again as it is stored,
/// in the write: a record written between its check and its storing
/// (through another instance, say) that makes the same id from other values
/// refuses it, and one changed meanwhile is set to the file's value.
async fn an_upload_is_checked_again_as_it_is_stored(app: TestApp) {
    use server::domain::{data_sets, query::Cache, Ctx};
    let token = app
        .data_set(json!({"data_group": "checked", "data_type": "twice", "auto_ids": ["left", "right"], "published": true}))
        .await;
    let caller = server::domain::caller::Caller::Cli;
    let cache = Cache::default();
    let ctx = Ctx::new(&caller, &app.store, &cache);
    let stored_values = || async {
        let answer = app.get("/data/checked/twice?sort_by=_id:ascending").await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        answer.json()["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let text = |k: &str| r[k].as_str().unwrap().to_string();
                (
                    format!("{}.{}", text("left"), text("right")),
                    r["count"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let write = |body: Value| {
        let token = token.clone();
        let app = &app;
        async move {
            let answer = app
                .send(Method::POST, "/data/checked/twice", &token, &body)
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        }
    };
    write(json!({"_timestamp": "2026-11-09T00:00:00Z", "left": "p", "right": "q", "count": 1}))
        .await;
    let file = "_timestamp,left,right,count\n2026-11-09,x.y,z,5\n2026-11-09,p,q,1\n";

    // Checked: one new, one the same as stored. Then, before it is stored,
    // another writes a record making the first's id (x.y.z) from left: x,
    // right: y.z: storing it is refused, and nothing of it is stored.
    let (ds, prepared) =
        data_sets::check_upload(&ctx, "checked", "twice", "f.csv", file.as_bytes())
            .await
            .unwrap();
    assert_eq!((prepared.preview.new, prepared.preview.unchanged), (1, 1));
    write(json!({"_timestamp": "2026-11-09T00:00:00Z", "left": "x", "right": "y.z", "count": 7}))
        .await;
    let refused = data_sets::store_upload(&ctx, &ds, "f.csv", prepared)
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        refused
            .message
            .contains("problem with records stored since it was checked"),
        "{}",
        refused.message
    );
    assert_eq!(refused.preview.problems[0].row, Some(2));
    assert!(
        refused.preview.problems[0]
            .message
            .contains("make the same _id"),
        "{}",
        refused.preview.problems[0].message
    );
    assert_eq!(
        stored_values().await,
        [
            ("p.q".to_string(), json!(1)),
            ("x.y.z".to_string(), json!(7))
        ]
    );

    // Checked with p.q the same as stored; changed meanwhile: stored, the
    // file's value is the record's, counted as replaced.
    let file = "_timestamp,left,right,count\n2026-11-09,p,q,1\n";
    let (ds, prepared) =
        data_sets::check_upload(&ctx, "checked", "twice", "g.csv", file.as_bytes())
            .await
            .unwrap();
    assert_eq!(prepared.preview.unchanged, 1);
    write(json!({"_timestamp": "2026-11-09T00:00:00Z", "left": "p", "right": "q", "count": 2}))
        .await;
    let done = data_sets::store_upload(&ctx, &ds, "g.csv", prepared)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((done.new, done.replaced, done.unchanged), (0, 1, 0));
    // (its values before and after, as they were when it was written)
    assert_eq!(done.replacements.len(), 1);
    assert_eq!(done.replacements[0].before["count"], json!(2));
    assert_eq!(done.replacements[0].after["count"], json!(1));
    assert_eq!(
        stored_values().await,
        [
            ("p.q".to_string(), json!(1)),
            ("x.y.z".to_string(), json!(7))
        ]
    );
}
both!(an_upload_is_checked_again_as_it_is_stored);

/// A data set's write token given anew four times at once (through several
/// instances, say) leaves one token that works, not four.
async fn tokens_given_anew_at_once_leave_one(app: TestApp) {
    app.data_set(json!({"data_group": "rotated", "data_type": "often"}))
        .await;
    let admin = app.admin_key().await;
    let nothing = json!({});
    let answers = futures_util::future::join_all((0..4).map(|_| {
        app.send(
            Method::POST,
            "/api/v1/data-sets/rotated/often/token",
            &admin,
            &nothing,
        )
    }))
    .await;
    assert!(
        answers.iter().all(|a| a.status == StatusCode::OK),
        "{:?}",
        answers.iter().map(|a| a.text()).collect::<Vec<_>>()
    );
    let scope = server::store::api_keys::write_scope("rotated_often");
    let live: i64 = server::on_pool!(&app.store, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM api_keys WHERE scopes = $1 AND revoked_at IS NULL"
    )
    .bind(serde_json::to_string(&[&scope]).unwrap())
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(live, 1, "live write tokens of {scope}");
    let record = json!({"_timestamp": "2026-11-09T00:00:00Z", "count": 1});
    let mut working = 0;
    for answer in &answers {
        let token = answer.json()["bearer_token"].as_str().unwrap().to_string();
        if app
            .send(Method::POST, "/data/rotated/often", &token, &record)
            .await
            .status
            == StatusCode::OK
        {
            working += 1;
        }
    }
    assert_eq!(working, 1, "tokens that still write");
}
both!(tokens_given_anew_at_once_leave_one);

async fn bad_files_and_callers_are_refused_clearly(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let editor = signed_in(&app, "editor@demo.pulse.example").await;
    fishing(&app, &editor).await;
    let ds = "apply-for-a-boat-licence/completion-rate";

    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "file_name=empty.csv",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "empty.csv is empty",
        ),
        (
            "file_name=blank.csv",
            b"\n \n".to_vec(),
            StatusCode::BAD_REQUEST,
            "is empty",
        ),
        (
            "file_name=notes.txt",
            b"hello".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "neither a CSV file",
        ),
        (
            "file_name=old.xls",
            b"\xd0\xcf\x11\xe0".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "old Excel workbook",
        ),
        (
            "file_name=broken.xlsx",
            b"PK\x03\x04 not really".to_vec(),
            StatusCode::BAD_REQUEST,
            "is not a readable XLSX workbook",
        ),
        (
            "file_name=header.csv",
            b"_timestamp,stage,count\n".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "no records below it",
        ),
        (
            "file_name=ragged.csv",
            b"_timestamp,stage,count\n2026-11-09,start\n".to_vec(),
            StatusCode::BAD_REQUEST,
            "row 2",
        ),
        (
            "file_name=latin.csv",
            b"_timestamp,stage,count\n2026-11-09,st\xe9,1\n".to_vec(),
            StatusCode::BAD_REQUEST,
            "UTF-8",
        ),
        (
            "file_name=big.csv",
            vec![b'1'; 10 * 1024 * 1024 + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than 10 MB",
        ),
        // Within 10 MB, but more than an upload's bounds on what is read.
        (
            "file_name=wide.csv",
            format!("_timestamp,stage,count\n{}", "2026-11-09,start,1\n".repeat(333_334)).into_bytes(),
            StatusCode::BAD_REQUEST,
            "wide.csv could not be read: it has more than 1,000,000 cells with something in them; split it into smaller files",
        ),
        (
            "file_name=narrow.csv",
            format!("_timestamp\n{}", "2026-11-09\n".repeat(500_001)).into_bytes(),
            StatusCode::BAD_REQUEST,
            "narrow.csv could not be read: it has more than 500,000 records; split it into smaller files",
        ),
    ];
    for (query, bytes, status, expected) in cases {
        let answer = upload(&app, &editor, ds, query, &bytes).await;
        assert_eq!(answer.status, status, "{query}: {}", answer.text());
        let message = answer.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains(expected), "{query}: {message}");
    }

    // A cell in a sheet's far corner (XFD1048576: the sheet made whole would
    // be 17 billion cells) is read as the one cell it is.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_row(0, 0, ["_timestamp", "stage", "count"])
        .unwrap();
    sheet.write_row(1, 0, ["2026-11-09", "start"]).unwrap();
    sheet.write_number(1, 2, 5.0).unwrap();
    sheet.write_number(1_048_575, 16_383, 1.0).unwrap();
    let far = upload(
        &app,
        &editor,
        ds,
        "file_name=far.xlsx",
        &book.save_to_buffer().unwrap(),
    )
    .await;
    assert_eq!(far.status, StatusCode::OK, "{}", far.text());
    assert_eq!(far.json()["records"], 1);
    assert_eq!(
        far.json()["rows"],
        json!([{"row": 2, "record": {"_timestamp": "2026-11-09T00:00:00Z", "stage": "start", "count": 5}}])
    );

    // Of many problems, the first thousand are listed, and all counted.
    let wrong = format!(
        "_timestamp,stage,count\n{}",
        "not a date,start,1\n".repeat(1_500)
    );
    let many = upload(&app, &editor, ds, "file_name=wrong.csv", wrong.as_bytes()).await;
    assert_eq!(many.status, StatusCode::OK, "{}", many.text());
    assert_eq!(many.json()["problem_count"], 1_500);
    assert_eq!(many.json()["problems"].as_array().unwrap().len(), 1_000);
    assert_eq!(many.json()["problems"][999]["row"], 1_001);
    let refused = upload(
        &app,
        &editor,
        ds,
        "file_name=wrong.csv&store=true",
        wrong.as_bytes(),
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json()["message"],
        "wrong.csv has 1,500 problems; nothing was stored. Correct them and upload it again."
    );

    // Problems with the header are said once, not on every row.
    let typo = upload(
        &app,
        &editor,
        ds,
        "file_name=typo.csv",
        b"_timestamp,stage,cuont\n2026-11-09,start,1\n2026-11-09,end,1\n",
    )
    .await;
    let problems = typo.json()["problems"].clone();
    assert_eq!(problems.as_array().unwrap().len(), 1, "{problems}");
    assert_eq!(problems[0]["row"], 1);
    assert_eq!(problems[0]["column"], "C (cuont)");
    let no_stage = upload(
        &app,
        &editor,
        ds,
        "file_name=x.csv",
        b"_timestamp,count\n2026-11-09,1\n",
    )
    .await;
    assert!(no_stage.json()["problems"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no stage column"));
    // A record twice in one file.
    let twice = upload(
        &app,
        &editor,
        ds,
        "file_name=x.csv",
        b"_timestamp,stage,count\n2026-11-09,start,1\n2026-11-09,start,2\n",
    )
    .await;
    let problem = &twice.json()["problems"][0];
    assert_eq!(problem["row"], 3);
    assert!(problem["message"].as_str().unwrap().contains("as row 2"));

    // Who may upload.
    let viewer = signed_in(&app, "viewer@demo.pulse.example").await;
    let no_csrf: Vec<(String, String)> = editor
        .iter()
        .filter(|(k, _)| k == "cookie")
        .cloned()
        .collect();
    for (who, status) in [
        (Vec::new(), StatusCode::UNAUTHORIZED),
        (viewer, StatusCode::FORBIDDEN),
        (no_csrf, StatusCode::FORBIDDEN),
    ] {
        let answer = upload(&app, &who, ds, "file_name=f.csv", GOOD_CSV.as_bytes()).await;
        assert_eq!(answer.status, status, "{}", answer.text());
    }
    let admin = signed_in(&app, "admin@demo.pulse.example").await;
    let other_dept = upload(
        &app,
        &editor,
        "register-a-birth/completion-rate",
        "file_name=f.csv",
        GOOD_CSV.as_bytes(),
    )
    .await;
    assert_eq!(
        other_dept.status,
        StatusCode::FORBIDDEN,
        "{}",
        other_dept.text()
    );
    let missing = upload(
        &app,
        &admin,
        "apply-for-a-boat-licence/nothing",
        "file_name=f.csv",
        GOOD_CSV.as_bytes(),
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(stored(&app).await, json!([]));
}
both!(bad_files_and_callers_are_refused_clearly);

async fn the_guide_speaks_of_this_installation(app: TestApp) {
    let app = with_demo_and_people(app).await;
    let index = app.get("/api/v1/guide").await;
    assert_eq!(index.status, StatusCode::OK);
    let pages = index.json()["pages"].as_array().unwrap().clone();
    assert_eq!(pages.len(), 15);
    assert_eq!(pages[0]["slug"], "getting-started");

    let page = app
        .request(
            Method::GET,
            "/api/v1/guide/send-data",
            &[("host", "pulse.example:8080")],
            Vec::new(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.json()["html"].as_str().unwrap().to_string();
    assert!(html.contains("http://pulse.example:8080/data/"), "{html}");
    // A real record of this installation (the demo's timestamps have an offset).
    assert!(html.contains("+00:00"), "{html}");

    let read = app.get("/api/v1/guide/pull-data").await.json();
    let html = read["html"].as_str().unwrap();
    assert!(html.contains("data-example=\"read.sh\""), "{html}");
    assert!(
        !html.contains("your-service") && !html.contains("{{"),
        "{html}"
    );

    let types = app.get("/api/v1/guide/data-types").await.json();
    assert!(types["html"]
        .as_str()
        .unwrap()
        .contains("/api/v1/data-types/journey/template.csv"));

    let found = app.get("/api/v1/guide?q=spreadsheet").await.json();
    assert!(
        found["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["slug"] == "send-data"),
        "{found}"
    );
    let none = app.get("/api/v1/guide/nonsense").await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);

    // The pages render on the server, with the guide in the header.
    let rendered = app.get("/guide/getting-started").await;
    assert_eq!(rendered.status, StatusCode::OK);
    let text = rendered.text();
    assert!(
        text.contains("href=\"/guide\""),
        "the header links the guide"
    );
    let start = app.get("/build").await;
    assert_eq!(start.status, StatusCode::UNAUTHORIZED);
    assert!(start.text().contains("sign-in-needed"));
}
both!(the_guide_speaks_of_this_installation);
