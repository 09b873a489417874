//! Reading uploads through a real axum router: DRF-shaped answers for every bad form, and an
//! oversized file refused without reading the rest of it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use common::{jpeg, png};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use strata_api::ApiError;
use strata_media::read_image_upload;
use tower::ServiceExt;

const MAX: usize = 4096;
const BOUNDARY: &str = "strata-test-boundary-7d1f";
const NOT_AN_IMAGE: &str =
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";

async fn upload(multipart: Multipart) -> Result<axum::Json<Value>, ApiError> {
    let upload = read_image_upload(multipart, MAX).await?;
    Ok(axum::Json(json!({
        "format": upload.image.format.ext(),
        "width": upload.image.width,
        "height": upload.image.height,
        "alt": upload.alt,
        "size": upload.bytes.len(),
    })))
}

fn app() -> Router {
    Router::new()
        .route("/", post(upload))
        // A server whose body limit is below the upload limit.
        .route("/small", post(upload).layer(DefaultBodyLimit::max(1024)))
}

enum Part<'a> {
    Text(&'a str, &'a [u8]),
    File {
        name: &'a str,
        file_name: &'a str,
        content_type: &'a str,
        bytes: &'a [u8],
    },
}

fn file<'a>(file_name: &'a str, content_type: &'a str, bytes: &'a [u8]) -> Part<'a> {
    Part::File {
        name: "file",
        file_name,
        content_type,
        bytes,
    }
}

fn part_head(part: &Part) -> Vec<u8> {
    match part {
        Part::Text(name, _) => {
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n")
        }
        Part::File {
            name,
            file_name,
            content_type,
            ..
        } => format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; \
             filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        ),
    }
    .into_bytes()
}

fn form(parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend(part_head(part));
        let (Part::Text(_, bytes) | Part::File { bytes, .. }) = part;
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn send(path: &str, body: Body) -> (StatusCode, Value) {
    let request = Request::post(path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .unwrap();
    let response = app().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).unwrap())
}

async fn post_form(parts: &[Part<'_>]) -> (StatusCode, Value) {
    send("/", Body::from(form(parts))).await
}

#[tokio::test]
async fn a_valid_upload_is_read_with_its_alt_text() {
    let image = png(40, 30);
    let (status, body) = post_form(&[
        Part::Text("alt", "  Front view  ".as_bytes()),
        file("front.png", "image/png", &image),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"format": "png", "width": 40, "height": 30, "alt": "Front view", "size": image.len()})
    );
}

#[tokio::test]
async fn the_bytes_decide_not_the_name_or_content_type() {
    let image = jpeg(20, 10);
    let (status, body) = post_form(&[file("notes.txt", "text/plain", &image)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["format"], &body["width"], &body["alt"]),
        (&json!("jpg"), &json!(20), &json!(""))
    );

    let (status, body) = post_form(&[file("x.png", "image/png", b"<html>hi</html>")]).await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"file": [NOT_AN_IMAGE]}))
    );
}

#[tokio::test]
async fn a_missing_file_is_drfs_no_file_submitted() {
    let no_file = json!({"file": ["No file was submitted."]});
    let (status, body) = post_form(&[Part::Text("alt", b"front")]).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, no_file.clone()));
    // A browser form submitted with no file chosen: an empty part without a file name.
    let (status, body) = post_form(&[file("", "application/octet-stream", b"")]).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, no_file.clone()));
    let (status, body) = post_form(&[]).await;
    assert_eq!((status, body), (StatusCode::BAD_REQUEST, no_file));
}

#[tokio::test]
async fn a_plain_field_named_file_is_not_a_file() {
    let (status, body) = post_form(&[Part::Text("file", b"hello")]).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"file": ["The submitted data was not a file. Check the encoding type on the form."]})
        )
    );
}

#[tokio::test]
async fn empty_and_non_image_files_are_refused_on_the_file_field() {
    let (status, body) = post_form(&[file("a.png", "image/png", b"")]).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"file": ["The submitted file is empty."]})
        )
    );
    let truncated = png(8, 8);
    let (status, body) = post_form(&[file(
        "a.png",
        "image/png",
        &truncated[..truncated.len() - 1],
    )])
    .await;
    assert_eq!(
        (status, body),
        (StatusCode::BAD_REQUEST, json!({"file": [NOT_AN_IMAGE]}))
    );
}

#[tokio::test]
async fn alt_text_is_validated_like_a_drf_char_field() {
    let image = png(1, 1);
    let persian = "ن".repeat(200);
    let (status, body) = post_form(&[
        file("a.png", "image/png", &image),
        Part::Text("alt", persian.as_bytes()),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["alt"], json!(persian));

    let long = "x".repeat(201);
    let refused: [(&[u8], &str); 3] = [
        (
            long.as_bytes(),
            "Ensure this field has no more than 200 characters.",
        ),
        (b"front\0view", "Null characters are not allowed."),
        (b"\xff\xfe", "Not a valid string."),
    ];
    for (alt, message) in refused {
        let (status, body) =
            post_form(&[file("a.png", "image/png", &image), Part::Text("alt", alt)]).await;
        assert_eq!(
            (status, body),
            (StatusCode::BAD_REQUEST, json!({"alt": [message]}))
        );
    }

    // Both fields' errors at once.
    let (status, body) = post_form(&[
        Part::Text("alt", long.as_bytes()),
        file("a.txt", "text/plain", b"text"),
    ])
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({
                "alt": ["Ensure this field has no more than 200 characters."],
                "file": [NOT_AN_IMAGE],
            })
        )
    );
}

#[tokio::test]
async fn unknown_parts_are_ignored_and_the_last_file_counts() {
    let image = png(5, 6);
    let (status, body) = post_form(&[
        Part::Text("csrfmiddlewaretoken", b"abc"),
        file("first.txt", "text/plain", b"not the one"),
        file("second.png", "image/png", &image),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["width"], &body["height"]), (&json!(5), &json!(6)));
}

/// A body of one file part: its head and the start of a PNG, then `more` zero bytes in 8 KiB
/// chunks made only when asked for, each after a pause when `arrives_over_time` (as from a
/// network) or all ready at once. Returns it and the count of zero bytes it gave out.
fn endless_file(more: usize, arrives_over_time: bool) -> (Body, Arc<AtomicUsize>) {
    let given = Arc::new(AtomicUsize::new(0));
    let head = part_head(&file("huge.png", "image/png", b""));
    let mut image_start = png(100, 100);
    image_start.truncate(64);
    let first = Ok::<_, std::io::Error>(Bytes::from([head, image_start].concat()));
    let counter = given.clone();
    let rest = stream::unfold(0usize, move |sent| {
        let counter = counter.clone();
        async move {
            if arrives_over_time {
                tokio::task::yield_now().await;
            }
            (sent < more).then(|| {
                counter.fetch_add(8192, Ordering::SeqCst);
                (Ok(Bytes::from(vec![0u8; 8192])), sent + 8192)
            })
        }
    });
    let body = Body::from_stream(stream::iter([first]).chain(rest));
    (body, given)
}

#[tokio::test]
async fn an_oversized_file_is_refused_without_reading_the_rest() {
    let (body, given) = endless_file(64 << 20, true);
    let (status, body) = send("/", body).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"file": [format!("Ensure this file is no larger than {MAX} bytes.")]})
        )
    );
    let given = given.load(Ordering::SeqCst);
    assert!(given <= MAX + 2 * 8192, "read {given} bytes of the body");
}

#[tokio::test]
async fn a_body_that_is_all_there_at_once_is_bounded_by_the_body_limit() {
    // The multipart parser takes whatever the body has ready before the reader sees a chunk,
    // so there the server's body limit is the bound (the binary sets one).
    let (body, given) = endless_file(64 << 20, false);
    let (status, body) = send("/small", body).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"detail": "Request body is too large."})
        )
    );
    let given = given.load(Ordering::SeqCst);
    assert!(given <= 1024 + 8192, "read {given} bytes of the body");
}

#[tokio::test]
async fn a_file_just_over_the_limit_is_refused_and_one_at_it_accepted() {
    let mut at_limit = png(1, 1);
    // Data after IEND would be refused as not an image; pad inside a private chunk instead.
    let padding = MAX - at_limit.len() - 12;
    let mut chunk = (padding as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(b"prVt");
    chunk.extend(std::iter::repeat_n(b'.', padding));
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    at_limit.splice(33..33, chunk);
    assert_eq!(at_limit.len(), MAX);
    let (status, body) = post_form(&[file("a.png", "image/png", &at_limit)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let mut over = at_limit.clone();
    over.push(0);
    let (status, body) = post_form(&[file("a.png", "image/png", &over)]).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            json!({"file": [format!("Ensure this file is no larger than {MAX} bytes.")]})
        )
    );
}

#[tokio::test]
async fn large_other_parts_and_bodies_over_the_server_limit_are_413() {
    let big = vec![b'x'; 100 * 1024];
    let (status, body) = post_form(&[Part::Text("notes", &big)]).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"detail": "Request body is too large."})
        )
    );
    let image = png(40, 40);
    assert!(image.len() > 1024 && image.len() < MAX);
    let (status, body) = send(
        "/small",
        Body::from(form(&[file("a.png", "image/png", &image)])),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"detail": "Request body is too large."})
        )
    );
}

#[tokio::test]
async fn a_malformed_body_is_a_parse_error() {
    let image = png(1, 1);
    let whole = form(&[file("a.png", "image/png", &image)]);
    let bodies = [
        b"this is not a multipart body".to_vec(),
        // Cut off inside the file part.
        whole[..whole.len() / 2].to_vec(),
    ];
    for body in bodies {
        let (status, body) = send("/", Body::from(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("Multipart form parse error - "),
            "{detail}"
        );
    }
}
