//! Pages render while another app is being built in the same process.
//!
//! Leptos suppresses resource loading process-wide while it walks the app to list
//! its routes; a page whose resource first ran inside that window waited for
//! ever. The tests build many apps side by side (and a CI run once hung for an
//! hour on it), so Pulse lists its routes once per process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support;
use crate::support::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_finish_while_other_apps_are_built() {
    let app = support::with_demo_and_people(support::test_app(Backend::Sqlite).await).await;
    let mut other: TestApp = support::test_app(Backend::Sqlite).await;
    let done = Arc::new(AtomicBool::new(false));
    // Stops the builder however the test ends (a failed one too).
    struct Stop(Arc<AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let stop = Stop(done.clone());
    let builder = {
        let done = done.clone();
        tokio::task::spawn_blocking(move || {
            let mut built = 0;
            while !done.load(Ordering::Relaxed) {
                other.trust_proxies("");
                built += 1;
            }
            built
        })
    };
    // Pages whose content comes from resources (the API, in-process).
    let pages = ["/services", "/file-a-tax-return", "/boards", "/compare"];
    let mut rendered = 0;
    for round in 0..40 {
        for page in pages {
            let answer = tokio::time::timeout(Duration::from_secs(30), app.get(page))
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{page} (round {round}) did not finish within 30 s while apps were built"
                    )
                });
            assert_eq!(answer.status.as_u16(), 200, "{page}");
            rendered += 1;
        }
    }
    drop(stop);
    let built = builder.await.unwrap();
    assert!(built > 0, "no app was built alongside the {rendered} pages");
}
