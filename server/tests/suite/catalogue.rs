//! The catalogue (data sets, services, organisations) that each instance keeps
//! between reads (`store::catalogue`): every change committed through one
//! store is read through another on the same database at once, and a
//! record's change moves only what it must.

use app::model::OrgKind;
use chrono::Utc;
use server::store::audit::Note;
use server::store::catalogue::{self, MODULUS};
use server::store::data_sets::{self, DataSetSettings};
use server::store::orgs::{self, OrgForUpsert, ServiceForUpsert};
use server::store::Store;

use crate::support::{self, Backend};

async fn stores(backend: Backend) -> (Store, Store, support::Guard) {
    let (url, guard) = support::database(backend).await;
    let a = Store::connect(&url).await.unwrap();
    a.migrate().await.unwrap();
    let b = Store::connect(&url).await.unwrap();
    (a, b, guard)
}

fn note() -> Note {
    Note::cli("test", "catalogue", Utc::now())
}

/// What `b` lists of the data set called `name`: whether it is published and
/// its version.
async fn listed(b: &Store, name: &str) -> Option<(bool, i64)> {
    data_sets::list_without_schemas(b)
        .await
        .unwrap()
        .iter()
        .find(|d| d.name == name)
        .map(|d| (d.published, d.version))
}

async fn service_titles(b: &Store) -> Vec<String> {
    orgs::list_services(b)
        .await
        .unwrap()
        .iter()
        .map(|s| s.title.clone())
        .collect()
}

async fn every_change_through_one_store_is_listed_by_the_other(backend: Backend) {
    let (a, b, _guard) = stores(backend).await;
    assert!(listed(&b, "kept_transactions").await.is_none());
    assert!(service_titles(&b).await.is_empty());

    // An organisation and a service come.
    let mut w = a.write().await.unwrap();
    let org = orgs::upsert_org(
        &mut w,
        &OrgForUpsert {
            slug: "kept",
            title: "Department of Keeping",
            abbreviation: None,
            kind: OrgKind::Department,
            parent_id: None,
        },
    )
    .await
    .unwrap();
    let service = |title: &'static str| ServiceForUpsert {
        slug: "kept",
        title,
        description: "",
        organisation_id: org,
    };
    let service_id = orgs::upsert_service(&mut w, &service("Keep a thing"))
        .await
        .unwrap();
    w.commit(note()).await.unwrap();
    assert_eq!(service_titles(&b).await, ["Keep a thing"]);

    // A data set comes.
    let mut w = a.write().await.unwrap();
    let created = data_sets::create(
        &mut w,
        "kept",
        "transactions",
        Some(service_id),
        &DataSetSettings::default(),
        Utc::now(),
    )
    .await
    .unwrap();
    w.commit(note()).await.unwrap();
    assert_eq!(
        listed(&b, "kept_transactions").await,
        Some((false, created.version))
    );

    // Its records change, again and again: the version read through the other
    // follows, and the services (which records do not change) stay kept.
    let before = catalogue::stamp(&b).await.unwrap();
    for _ in 0..3 {
        let mut w = a.write().await.unwrap();
        data_sets::bump_version(&mut w, created.id).await.unwrap();
        w.commit(note()).await.unwrap();
    }
    assert_eq!(
        listed(&b, "kept_transactions").await,
        Some((false, created.version + 3))
    );
    let after = catalogue::stamp(&b).await.unwrap();
    assert_eq!(
        after.changes, before.changes,
        "a record's change is not the catalogue's"
    );
    assert_eq!(after.data_sets, before.data_sets);
    assert_eq!(
        (after.versions - before.versions).rem_euclid(MODULUS),
        3,
        "{before:?} {after:?}"
    );

    // Published, then its settings changed.
    let mut w = a.write().await.unwrap();
    data_sets::publish(&mut w, created.id).await.unwrap();
    w.commit(note()).await.unwrap();
    assert_eq!(
        listed(&b, "kept_transactions").await,
        Some((true, created.version + 3))
    );
    let mut w = a.write().await.unwrap();
    let settings = DataSetSettings {
        published: false,
        max_age_expected: Some(3600),
        ..DataSetSettings::default()
    };
    data_sets::update(&mut w, created.id, &settings)
        .await
        .unwrap();
    w.commit(note()).await.unwrap();
    let kept = data_sets::list_without_schemas(&b).await.unwrap();
    let read = kept.iter().find(|d| d.id == created.id).unwrap();
    assert_eq!((read.published, read.max_age_expected), (false, Some(3600)));

    // The service renamed, then the data set and the service gone.
    let mut w = a.write().await.unwrap();
    orgs::upsert_service(&mut w, &service("Keep things"))
        .await
        .unwrap();
    w.commit(note()).await.unwrap();
    assert_eq!(service_titles(&b).await, ["Keep things"]);
    let mut w = a.write().await.unwrap();
    data_sets::delete(&mut w, &created).await.unwrap();
    orgs::delete_service(&mut w, "kept").await.unwrap();
    w.commit(note()).await.unwrap();
    assert!(listed(&b, "kept_transactions").await.is_none());
    assert!(service_titles(&b).await.is_empty());

    // Read again without a change, what is kept is what is given.
    let once = data_sets::list_without_schemas(&b).await.unwrap();
    let again = data_sets::list_without_schemas(&b).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&once, &again));
}

#[tokio::test]
async fn every_change_is_listed_at_once_on_sqlite() {
    every_change_through_one_store_is_listed_by_the_other(Backend::Sqlite).await;
}

#[tokio::test]
async fn every_change_is_listed_at_once_on_postgres() {
    every_change_through_one_store_is_listed_by_the_other(Backend::Postgres).await;
}
