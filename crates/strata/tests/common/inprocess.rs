//! The application built in this test process (the same `App` `strata serve` runs), for tests
//! that wrap its change sink: slowed down, or recording what each request published.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use strata::config::Config;
use strata::server::App;
use strata_api::ChangeSink;

use super::Site;

/// A running in-process server: its base URL and the application's state.
pub struct InProcess {
    pub base: String,
    pub app_state: strata::state::AppState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `site` from this process with `extra` settings, the handlers' change sink wrapped by
/// `decorate`.
pub async fn serve(
    site: &Site,
    extra: &[(&str, &str)],
    decorate: impl FnOnce(Arc<dyn ChangeSink>) -> Arc<dyn ChangeSink>,
) -> InProcess {
    let env: Vec<(String, String)> = site
        .env
        .iter()
        .cloned()
        .chain(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
        .collect();
    let config: Config = Config::load_from(&env, Path::new("/nonexistent/strata.toml"))
        .expect("config")
        .config;
    let app = App::build_with(config, decorate).await.expect("app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let service = app
        .router
        .into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, service).await.unwrap();
    });
    InProcess {
        base,
        app_state: app.state,
        task,
    }
}
