//! The OpenAPI document (`/api/schema/`) and its docs UI (`/api/docs/`), checked from outside:
//!
//! - the document validates as OpenAPI 3.1 (`openapi-spec-validator`, in the venv `scripts/test`
//!   makes from `tests/openapi/requirements.txt`);
//! - each admin input schema says what validation really requires and where it accepts null;
//! - a TypeScript client generated from the served document (`tests/openapi`: openapi-typescript
//!   and tsc, pinned by its `package-lock.json`) type-checks against real responses of a running
//!   server, so a change of a response's shape that the document does not follow fails here;
//! - the docs UI loads nothing from another origin.
//!
//! Python and node are needed; outside CI a missing one is a loud skip, under `CI=true` a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::api::{Api, PNG};
use common::{Backend, Server, Site};
use reqwest::Method;
use serde_json::{Value, json};

#[test]
fn the_document_validates_as_openapi_3_1() {
    let Some(python) = common::python_with("openapi_spec_validator", "openapi") else {
        return;
    };
    let dir = tempdir("validate");
    let file = dir.join("schema.json");
    let document = strata::server::openapi_document();
    std::fs::write(&file, serde_json::to_vec_pretty(&document).unwrap()).unwrap();
    let out = Command::new(&python)
        .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
        .args(["--validation-errors", "all"])
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// For every admin create endpoint: `{}` is refused for exactly the fields the input schema
/// marks required, and a body with every documented field null is refused with "may not be
/// null" for exactly the fields the schema does not mark nullable.
#[tokio::test]
async fn input_schemas_say_what_validation_requires() {
    let site = Site::new(Backend::Embedded, "openapi-inputs")
        .await
        .unwrap();
    let token = site.token("schema-admin", "admin");
    let server = site.serve();
    let admin = Api::new(&server, Some(&token));
    let document = admin.ok("/api/schema/").await;
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(create) = item.get("post").filter(|_| item.get("get").is_some()) else {
            continue;
        };
        let Some(input) = create["requestBody"]["content"]["application/json"]["schema"]
            .get("$ref")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let schema = resolve(&document, input);
        let properties = schema["properties"].as_object().unwrap();

        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        let (status, errors) = admin.json(Method::POST, path, json!({})).await;
        assert_eq!(status, 400, "POST {path} {{}}: {errors}");
        let refused: BTreeSet<&str> = errors
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            refused, required,
            "POST {path} {{}}: {errors} vs {input}'s required"
        );

        let nulls: Value = properties
            .keys()
            .map(|k| (k.clone(), Value::Null))
            .collect();
        let (status, errors) = admin.json(Method::POST, path, nulls).await;
        assert_eq!(status, 400, "POST {path} with nulls: {errors}");
        for (field, property) in properties {
            let refused_null = errors[field]
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m == "This field may not be null."));
            assert_eq!(
                refused_null,
                !nullable(&document, property),
                "{input}.{field}: the schema and the validation disagree on null ({errors})"
            );
        }
        checked += 1;
    }
    assert!(checked >= 4, "only {checked} admin inputs found");
}

/// A client generated from the served document type-checks against what the server answers.
#[tokio::test]
async fn a_generated_client_type_checks_against_real_responses() {
    let Some(client) = Client::prepare() else {
        return;
    };
    let site = Site::new(Backend::Embedded, "openapi-client")
        .await
        .unwrap();
    let seeded = site.run(&["seed", "--demo", "--properties", "3"]);
    assert!(seeded.status.success(), "{}", common::stderr(&seeded));
    let token = site.token("client-admin", "admin");
    let server = site.serve();
    let public = Api::new(&server, None);
    let admin = Api::new(&server, Some(&token));

    let list = public.ok("/api/properties/?page_size=2").await;
    let id = list["results"][0]["id"].as_i64().unwrap();
    let (status, image) = admin
        .upload(&format!("/api/admin/properties/{id}/images/"), PNG, "a.png")
        .await;
    assert_eq!(status, 201, "{image}");
    let (status, patched) = admin
        .json(
            Method::PATCH,
            &format!("/api/admin/properties/{id}/"),
            json!({"deposit": null, "featured": true}),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    let (status, job) = admin
        .json(
            Method::POST,
            "/api/admin/properties/bulk/jobs/",
            json!({"action": "status", "status": "published", "filter": {}}),
        )
        .await;
    assert_eq!(status, 202, "{job}");
    let job_now = admin
        .ok(&format!("/api/admin/properties/bulk/jobs/{}/", job["id"]))
        .await;
    let captured = [
        ("/api/properties/", "get", 200, list),
        (
            "/api/properties/{id}/",
            "get",
            200,
            public.ok(&format!("/api/properties/{id}/")).await,
        ),
        (
            "/api/properties/",
            "get",
            400,
            expect(&public, "/api/properties/?deal=swap&min_price=x", 400).await,
        ),
        (
            "/api/properties/{id}/",
            "get",
            404,
            expect(&public, "/api/properties/999999999/", 404).await,
        ),
        (
            "/api/categories/",
            "get",
            200,
            public.ok("/api/categories/").await,
        ),
        ("/api/tags/", "get", 200, public.ok("/api/tags/").await),
        (
            "/api/options/",
            "get",
            200,
            public.ok("/api/options/").await,
        ),
        (
            "/api/admin/properties/",
            "get",
            200,
            admin.ok("/api/admin/properties/").await,
        ),
        ("/api/admin/properties/{id}/", "patch", 200, patched),
        ("/api/admin/properties/{id}/images/", "post", 201, image),
        ("/api/admin/properties/bulk/jobs/", "post", 202, job),
        (
            "/api/admin/properties/bulk/jobs/{job_id}/",
            "get",
            200,
            job_now,
        ),
        ("/api/auth/me", "get", 200, admin.ok("/api/auth/me").await),
        (
            "/api/auth/me",
            "get",
            401,
            expect(&public, "/api/auth/me", 401).await,
        ),
    ];
    let document = public.ok("/api/schema/").await;
    client.check(&document, &captured);
}

/// The docs page and everything it loads come from this server: no CDN, so it works offline,
/// under a content security policy that allows this origin only.
#[tokio::test]
async fn the_docs_ui_is_served_by_the_binary() {
    let site = Site::new(Backend::Embedded, "openapi-docs").await.unwrap();
    let server = site.serve();
    let http = reqwest::Client::new();
    let page = http.get(server.url("/api/docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = header(&page, "content-security-policy");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(!policy.contains("http"), "another origin allowed: {policy}");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("//"),
        "a URL of another origin in the page:\n{html}"
    );
    assert!(html.contains(r#"data-url="/api/schema/""#), "{html}");
    let bundle = html
        .split(r#"<script src=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page loads a script");
    assert!(bundle.starts_with("/api/docs/scalar-"), "{bundle}");

    // Compressed for browsers, cached for a year (the URL changes with the version).
    let gzipped = get_bundle(&server, bundle, Some("gzip, deflate, br")).await;
    assert_eq!(gzipped.status(), 200);
    assert_eq!(header(&gzipped, "content-encoding"), "gzip");
    assert_eq!(header(&gzipped, "vary"), "accept-encoding");
    assert!(header(&gzipped, "content-type").starts_with("text/javascript"));
    assert!(header(&gzipped, "cache-control").contains("immutable"));
    let compressed = gzipped.bytes().await.unwrap();
    assert!(compressed.starts_with(&[0x1f, 0x8b]), "not gzip");
    // A client that refuses gzip gets the script itself.
    let plain = get_bundle(&server, bundle, Some("identity")).await;
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    let script = plain.text().await.unwrap();
    assert!(script.len() > 3 * compressed.len(), "not decompressed");
    assert!(script.contains("@scalar/api-reference"));
}

async fn get_bundle(server: &Server, path: &str, accept: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(server.url(path));
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
        .to_owned()
}

async fn expect(api: &Api, path: &str, status: u16) -> Value {
    let (got, body) = api.get(path).await;
    assert_eq!(got, status, "GET {path}: {body}");
    body
}

/// The schema `reference` (`#/components/schemas/Name`) points to.
fn resolve<'a>(document: &'a Value, reference: &str) -> &'a Value {
    let name = reference.rsplit('/').next().unwrap();
    &document["components"]["schemas"][name]
}

/// Whether a property's schema accepts null: `type: [.., "null"]`, or a `oneOf` with a null
/// branch; a `$ref` is followed.
fn nullable(document: &Value, schema: &Value) -> bool {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        return nullable(document, resolve(document, reference));
    }
    let typed_null = match &schema["type"] {
        Value::String(t) => t == "null",
        Value::Array(types) => types.iter().any(|t| t == "null"),
        _ => false,
    };
    typed_null
        || schema["oneOf"]
            .as_array()
            .is_some_and(|branches| branches.iter().any(|b| nullable(document, b)))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("strata-openapi-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The npm project under `tests/openapi`: openapi-typescript and tsc, installed by `npm ci`
/// once per change of its lock file (`node_modules` is kept between runs).
struct Client {
    dir: PathBuf,
}

impl Client {
    /// `None` (a loud skip) without node and npm outside CI.
    fn prepare() -> Option<Client> {
        let test = "openapi client";
        let found = |tool: &str| {
            Command::new(tool)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !(found("node") && found("npm")) {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{test}: node and npm are needed and CI=true");
            }
            eprintln!("\n*** SKIPPED: node or npm not found; {test} did not run ***\n");
            return None;
        }
        let dir = repo().join("tests/openapi");
        let lock = std::fs::read(dir.join("package-lock.json")).unwrap();
        let stamp = dir.join("node_modules/.strata-package-lock.json");
        if std::fs::read(&stamp).ok().as_ref() != Some(&lock) {
            let out = run(&dir, &["npm", "ci", "--no-audit", "--no-fund"]);
            assert!(out.status.success(), "npm ci: {}", text(&out));
            std::fs::write(&stamp, &lock).unwrap();
        }
        Some(Client { dir })
    }

    /// Generates `generated/schema.d.ts` from `document`, writes each captured response as a
    /// constant typed by its operation's response, and runs tsc over both.
    fn check(&self, document: &Value, captured: &[(&str, &str, u16, Value)]) {
        let generated = self.dir.join("generated");
        std::fs::create_dir_all(&generated).unwrap();
        std::fs::write(
            generated.join("schema.json"),
            serde_json::to_vec_pretty(document).unwrap(),
        )
        .unwrap();
        let out = run(
            &self.dir,
            &[
                "node",
                "node_modules/openapi-typescript/bin/cli.js",
                "generated/schema.json",
                "-o",
                "generated/schema.d.ts",
            ],
        );
        assert!(out.status.success(), "openapi-typescript: {}", text(&out));

        let mut ts = String::from(
            "// Written by crates/strata/tests/openapi.rs: real responses, typed by the document.\n\
             import type { paths } from \"./schema\";\n\n\
             // The JSON body of response `S` of operation `M` of `P`; `never` if undocumented.\n\
             type Json<P extends keyof paths, M extends keyof paths[P], S extends number> =\n  \
             paths[P][M] extends { responses: infer R }\n    \
             ? S extends keyof R\n      \
             ? R[S] extends { content: { \"application/json\": infer T } } ? T : never\n      \
             : never\n    : never;\n\n",
        );
        for (n, (path, method, status, body)) in captured.iter().enumerate() {
            let body = serde_json::to_string_pretty(body).unwrap();
            ts.push_str(&format!(
                "// {method} {path} → {status}\nexport const response{n}: Json<\"{path}\", \"{method}\", {status}> = {body};\n\n"
            ));
        }
        std::fs::write(generated.join("responses.ts"), ts).unwrap();
        let out = run(
            &self.dir,
            &[
                "node",
                "node_modules/typescript/bin/tsc",
                "-p",
                "tsconfig.json",
            ],
        );
        assert!(
            out.status.success(),
            "the generated client does not accept the server's responses \
             (tests/openapi/generated/responses.ts):\n{}",
            text(&out)
        );
    }
}

fn run(dir: &Path, command: &[&str]) -> Output {
    Command::new(command[0])
        .args(&command[1..])
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The document reads well in the docs UI: each operation has a short name for a summary (its
/// long text is the description), public operations' tags come before the admin's, and
/// `servers` is the configured site — never the request's `Host` — so pasted samples work.
#[tokio::test]
async fn the_document_reads_well() {
    let site = Site::new(Backend::Embedded, "openapi-reads").await.unwrap();
    let mut env: Vec<(&str, &str)> = site
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.push(("STRATA_WEB__SITE_URL", "https://homes.example"));
    let server = Server::start(&env);
    let document: Value = reqwest::Client::new()
        .get(server.url("/api/schema/"))
        .header("Host", "evil.example")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        document["servers"],
        json!([{"url": "https://homes.example"}])
    );
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(
                !summary.is_empty() && summary.len() <= 40 && !summary.contains('`'),
                "{method} {path}: summary {summary:?}"
            );
            assert!(
                !summary.contains(" one of "),
                "{method} {path}: {summary:?} is not natural English"
            );
        }
    }
    let tags: Vec<&str> = document["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tag| tag["name"].as_str().unwrap())
        .collect();
    let first_admin = tags.iter().position(|t| t.starts_with("admin")).unwrap();
    assert!(first_admin > 0, "{tags:?}");
    assert!(
        tags[first_admin..].iter().all(|t| t.starts_with("admin")),
        "public tags come first: {tags:?}"
    );
}
