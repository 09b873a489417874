//! The ceiling of `bench/web.sh`: one file's bytes served from a static buffer by a bare axum
//! handler on 127.0.0.1 (an ephemeral port, printed as `listening on http://…`).

use std::error::Error;

use axum::Router;
use axum::http::header;
use axum::routing::get;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: strata-bench-static FILE")?;
    let bytes: &'static [u8] = Box::leak(std::fs::read(path)?.into_boxed_slice());
    let app = Router::new().route(
        "/",
        get(move || async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], bytes) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
