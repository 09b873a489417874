//! The site's error pages speak the visitor's language: a 400 lists each error by the label
//! the filter form shows, translated, one list item each, with the page's direction; 404 and
//! 503 pages are wholly Persian at `/…` (Persian digits included) and English at `/en/…`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;
#[path = "common/tcp_proxy.rs"]
mod tcp_proxy;

use std::time::{Duration, Instant};

use common::web::{Page, get, ok};
use common::{Backend, Server, Site};
use tcp_proxy::TcpProxy;

on_both_backends!(bad_filters_are_listed_by_label_in_the_visitors_language);
on_both_backends!(not_found_pages_in_each_language);

/// Three errors at once: a price that is no number, a negative room count, an unknown deal.
const BAD: &str = "/properties/?min_price=abc&rooms=-1&deal=x";

/// What `<main>` holds: the page without the layout (whose site name is configuration).
fn main_of(body: &str) -> &str {
    let start = body.find("<main").expect("a <main>");
    let end = body.find("</main>").expect("a </main>");
    &body[start..end]
}

/// `html` as text: tags dropped, `&…;` entities left as they are (none are expected).
fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each `<li>` of the page's main part, as HTML.
fn items(main: &str) -> Vec<&str> {
    main.split("<li>")
        .skip(1)
        .map(|item| item.split("</li>").next().unwrap())
        .collect()
}

/// The label the filter form of `list` (a `/properties/` page) shows for `param`.
fn form_label(list: &str, param: &str) -> String {
    let field = list
        .find(&format!("name=\"{param}\""))
        .unwrap_or_else(|| panic!("no {param} in the form"));
    let label = list[..field].rfind("<label>").unwrap() + "<label>".len();
    let text = &list[label..];
    text[..text.find('<').unwrap()].trim().to_owned()
}

fn is_persian(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c)
}

/// The checks both languages share: an uncached 400 in the page's language and direction,
/// one item per error in the form's order, each `label: message` with the message in an
/// element of its own that carries the direction, and no parameter name anywhere.
async fn bad_request_page(server: &Server, prefix: &str, lang: &str, dir: &str) -> Vec<String> {
    let form = ok(server, &format!("{prefix}/properties/")).await.body;
    let page = get(server, &format!("{prefix}{BAD}")).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(
        page.body
            .contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
        "{}",
        page.body
    );
    let main = main_of(&page.body);
    let items = items(main);
    assert_eq!(items.len(), 3, "one item per error: {main}");
    let span = format!("<span lang=\"{lang}\" dir=\"{dir}\">");
    let mut messages = Vec::new();
    for (item, param) in items.iter().zip(["deal", "min_price", "rooms"]) {
        let label = form_label(&form, param);
        let expected = format!("<strong>{label}</strong>: {span}");
        assert!(item.starts_with(&expected), "{item:?} is not {expected:?}…");
        messages.push(text_of(&item[expected.len()..]));
    }
    for name in ["min_price", "rooms", "deal", "non_field_errors", "; "] {
        assert!(!main.contains(name), "{name:?} in {main}");
    }
    // The value sent back is isolated, so it cannot reorder the sentence around it.
    assert!(items[0].contains("<bdi>x</bdi>"), "{}", items[0]);
    messages
}

async fn bad_filters_are_listed_by_label_in_the_visitors_language(backend: Backend) {
    let Some(site) = Site::new(backend, "web_errors_400").await else {
        return;
    };
    let server = site.serve();

    let fa = bad_request_page(&server, "", "fa", "rtl").await;
    assert_eq!(
        fa,
        [
            "یک گزینهٔ معتبر انتخاب کنید؛ «x» در میان گزینه‌ها نیست.",
            "یک عدد وارد کنید.",
            "یک عدد صحیح وارد کنید.",
        ]
    );
    let page = get(&server, BAD).await;
    // The header's language switch asks the same in English (its errors, in English).
    let switch = BAD.replace('&', "&#38;");
    assert!(
        page.body.contains(&format!(
            r#"/en{switch}" hreflang="en" lang="en">English</a>"#
        )),
        "{}",
        page.body
    );
    let text = text_of(main_of(&page.body)).replace("«x»", "");
    assert!(
        !text.chars().any(|c| c.is_ascii_alphabetic()),
        "English on the Persian page: {text}"
    );

    let en = bad_request_page(&server, "/en", "en", "ltr").await;
    assert_eq!(
        en,
        [
            "Select a valid choice. “x” is not one of the available choices.",
            "Enter a number.",
            "Enter a whole number.",
        ]
    );
    let page = get(&server, &format!("/en{BAD}")).await;
    assert!(
        page.body.contains(&format!(
            r#"{}" hreflang="fa" lang="fa">فارسی</a>"#,
            BAD.replace('&', "&#38;")
        )),
        "{}",
        page.body
    );
    let text = text_of(main_of(&page.body));
    assert!(
        !text.chars().any(is_persian),
        "Persian on the English page: {text}"
    );

    // Refused by the query extractor rather than the filters: still labelled and translated,
    // and a parameter the site does not read is not named at all.
    let page = get(&server, "/properties/?city=a%00b&utm_x=%01").await;
    assert_eq!(page.status, 400);
    let main = main_of(&page.body);
    let items: Vec<String> = items(main).into_iter().map(text_of).collect();
    assert_eq!(
        items,
        [
            "شهر: نویسه‌های تهی مجاز نیستند.",
            "نویسه‌های کنترلی مجاز نیستند.",
        ]
    );
    assert!(!main.contains("utm_x") && !main.contains("city"), "{main}");
}

async fn not_found_pages_in_each_language(backend: Backend) {
    let Some(site) = Site::new(backend, "web_errors_404").await else {
        return;
    };
    let server = site.serve();
    // One rendered by the page (and cached), one for a path no route matches.
    for path in ["/properties/no-such-listing/", "/no/such/page/"] {
        let fa = get(&server, path).await;
        assert_eq!(fa.status, 404, "{path}");
        assert!(fa.body.contains("<html lang=\"fa\" dir=\"rtl\">"));
        // A way to the other language: its home page.
        assert!(
            fa.body
                .contains(r#"/en/" hreflang="en" lang="en">English</a>"#),
            "{}",
            fa.body
        );
        let text = text_of(main_of(&fa.body));
        assert!(text.starts_with("پیدا نشد "), "{text}");
        assert!(!text.chars().any(|c| c.is_ascii_alphabetic()), "{text}");

        let en = get(&server, &format!("/en{path}")).await;
        assert_eq!(en.status, 404, "/en{path}");
        assert!(en.body.contains("<html lang=\"en\" dir=\"ltr\">"));
        let text = text_of(main_of(&en.body));
        assert!(text.starts_with("Not found "), "{text}");
        assert!(!text.chars().any(is_persian), "{text}");
    }
}

/// A page that needs the database while it is down: the 503 says so, and how long to wait, in
/// the visitor's language (PostgreSQL only: it is stopped through a proxy).
// Multi-threaded: the proxy's tasks must run while the test blocks on starting the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_pages_in_each_language() {
    let Some(site) = Site::new(Backend::Production, "web_errors_503").await else {
        return;
    };
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let server = site.serve_through(proxy.addr);
    ok(&server, "/properties/").await;
    proxy.stop();

    // Until the server has noticed, a render may still fail otherwise; never-seen slugs, so
    // no cached page answers.
    let unavailable = |prefix: &'static str| {
        let server = &server;
        async move {
            let deadline = Instant::now() + Duration::from_secs(15);
            let mut n = 0;
            loop {
                n += 1;
                let page = get(server, &format!("{prefix}/properties/gone-{n}/")).await;
                if page.status == 503 {
                    return page;
                }
                assert!(Instant::now() < deadline, "no 503: {}", page.status);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let fa: Page = unavailable("").await;
    assert_eq!(fa.header("retry-after"), "5");
    assert!(fa.body.contains("<html lang=\"fa\" dir=\"rtl\">"));
    let text = text_of(main_of(&fa.body));
    assert!(
        text.contains("لطفاً ۵ ثانیهٔ دیگر دوباره تلاش کنید."),
        "{text}"
    );
    assert!(!text.chars().any(|c| c.is_ascii_alphanumeric()), "{text}");

    let en = unavailable("/en").await;
    assert!(en.body.contains("<html lang=\"en\" dir=\"ltr\">"));
    let text = text_of(main_of(&en.body));
    assert!(text.contains("Please try again in 5 seconds."), "{text}");
    assert!(!text.chars().any(is_persian), "{text}");
    proxy.resume().await;
}
