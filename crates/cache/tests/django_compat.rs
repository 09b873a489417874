//! Wire compatibility with the original stack, against the real thing: Django + django-redis
//! configured as the policy's §10 (JSON serializer, `KEY_PREFIX = "<ENV>:myproject"`,
//! `VERSION = 1`) read what Strata wrote, and Strata reads what Django wrote.
//!
//! The Python side is `tests/compat/django_side.py`, run with `$STRATA_PYTHON` (set by
//! `scripts/test` to the venv it builds from `tests/compat/requirements.txt`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly

mod support;

use std::convert::Infallible;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use fred::interfaces::KeysInterface;
use serde_json::{Value, json};
use strata_cache::{
    Cache, CacheKey, CacheSettings, Invalidation, Namespace, TtlClass, params_hash,
};

const FROM_STRATA: Namespace = Namespace::public("compat", "strata");
const FROM_DJANGO: Namespace = Namespace::public("compat", "django");

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's Python with Django and django-redis, or `None` (a loud skip outside CI).
fn django_python() -> Option<PathBuf> {
    let python = std::env::var_os("STRATA_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv/bin/python"));
    let usable = Command::new(&python)
        .args(["-c", "import django, django_redis"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if usable {
        return Some(python);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} cannot import django and django_redis, and CI=true",
            python.display()
        );
    }
    eprintln!(
        "\n*** SKIPPED: no Python with Django + django-redis at {} (run scripts/test, or set \
         STRATA_PYTHON) ***\n",
        python.display()
    );
    None
}

struct Django {
    python: PathBuf,
    key_prefix: String,
}

impl Django {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> String {
        let script = workspace_root().join("tests/compat/django_side.py");
        let mut child = Command::new(&self.python)
            .arg(script)
            .arg(support::redis_url())
            .arg(&self.key_prefix)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run django_side.py");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.unwrap_or("").as_bytes())
            .expect("write stdin");
        let out = child.wait_with_output().expect("django_side.py finished");
        assert!(
            out.status.success(),
            "django_side.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn read(&self, keys: &[&CacheKey]) -> serde_json::Map<String, Value> {
        let mut args = vec!["read"];
        args.extend(keys.iter().map(|k| k.as_str()));
        match serde_json::from_str(&self.run(&args, None)).expect("json") {
            Value::Object(map) => map,
            other => panic!("unexpected {other}"),
        }
    }
}

/// How `django_side.py read` reports a miss.
fn miss() -> Value {
    json!({"$miss": true})
}

/// What both sides must agree on, Persian text included.
fn cases() -> Vec<(&'static str, Value)> {
    vec![
        (
            "dict",
            json!({"title": "ویلای ساحلی", "price": "12500000000.00", "rooms": 3, "tags": ["sea-view"]}),
        ),
        ("list", json!([1, "two", {"three": 3.5}, null, true])),
        ("str", json!("ویلای ساحلی در شمال")),
        ("int", json!(42)),
        ("bigint", json!(9_007_199_254_740_993_i64)),
        ("negint", json!(-7)),
        ("bool", json!(true)),
        ("float", json!(12.5)),
        ("tenth", json!(0.1)),
        ("null", Value::Null),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn django_redis_and_strata_read_each_others_values() {
    if !support::require_redis().await {
        return;
    }
    let Some(python) = django_python() else {
        return;
    };
    let env = support::unique_env("compat");
    let django = Django {
        python,
        key_prefix: format!("{env}:myproject"),
    };
    let cache = Cache::redis(&support::redis_url(), &env, CacheSettings::default())
        .await
        .expect("cache");

    // Same key layout: django-redis's make_key is Strata's stored key.
    let key = FROM_STRATA.named("dict");
    assert_eq!(
        django.run(&["make-key", key.as_str()], None).trim(),
        format!("{env}:myproject:1:{key}")
    );

    // Strata writes, Django reads equal values.
    let mut keys = Vec::new();
    for (name, value) in cases() {
        let key = FROM_STRATA.named(name);
        let stored = cache
            .get_or_load(&key, TtlClass::PublicDetail, || async {
                Ok::<_, Infallible>(value.clone())
            })
            .await
            .unwrap_or_else(|never| match never {});
        assert_eq!(stored, value);
        keys.push(key);
    }
    let seen = django.read(&keys.iter().collect::<Vec<_>>());
    for ((name, value), key) in cases().into_iter().zip(&keys) {
        // A stored null reads as None in Django — exactly what `cache.get(key)` returns for a
        // miss. The policy's services test `if cached is None`, so for Django such a key is a
        // miss: it reloads from the database every time. Strata tells the two apart.
        assert_eq!(seen[key.as_str()], value, "Django read Strata's {name}");
    }
    // The consequence, as the policy's services call it (`cache.get(key)`, default None): a
    // Strata-written `None` and a key nobody wrote look the same to Django.
    let absent = FROM_STRATA.named("never_written");
    let plain = django.run(
        &["get", FROM_STRATA.named("null").as_str(), absent.as_str()],
        None,
    );
    let plain: Value = serde_json::from_str(&plain).expect("json");
    assert_eq!(plain[FROM_STRATA.named("null").as_str()], Value::Null);
    assert_eq!(plain[absent.as_str()], Value::Null);
    assert_eq!(
        cache.peek::<Option<i64>>(&FROM_STRATA.named("null")).await,
        Some(None),
        "Strata itself tells a stored null from a miss"
    );

    // Django writes, Strata reads equal values — typed, and as hits (the loader never runs).
    let written: serde_json::Map<String, Value> = cases()
        .into_iter()
        .map(|(name, value)| (FROM_DJANGO.named(name).to_string(), value))
        .collect();
    django.run(&["write"], Some(&Value::Object(written).to_string()));
    for (name, value) in cases() {
        let key = FROM_DJANGO.named(name);
        let read = cache
            .get_or_load(&key, TtlClass::PublicDetail, || async {
                Err::<Value, _>(format!("{name}: a miss; Django's value was not read"))
            })
            .await;
        assert_eq!(read, Ok(value), "Strata read Django's {name}");
    }
    assert_eq!(
        cache.peek::<i64>(&FROM_DJANGO.named("int")).await,
        Some(42),
        "raw integer"
    );
    assert_eq!(
        cache.peek::<i64>(&FROM_DJANGO.named("bigint")).await,
        Some(9_007_199_254_740_993)
    );
    assert_eq!(
        cache.peek::<f64>(&FROM_DJANGO.named("tenth")).await,
        Some(0.1)
    );
    assert_eq!(
        cache.peek::<bool>(&FROM_DJANGO.named("bool")).await,
        Some(true)
    );
    assert_eq!(
        cache
            .peek::<String>(&FROM_DJANGO.named("str"))
            .await
            .as_deref(),
        Some("ویلای ساحلی در شمال")
    );
    assert_eq!(
        cache
            .peek::<Option<String>>(&FROM_DJANGO.named("null"))
            .await,
        Some(None),
        "null, not a miss"
    );

    // Strata's invalidations are Django's misses.
    assert_eq!(
        cache.invalidate(&FROM_STRATA.named("str")).await,
        Invalidation::Applied
    );
    assert_eq!(
        django.read(&[&FROM_STRATA.named("str")])["public:compat:strata:str"],
        miss()
    );
    assert_eq!(
        cache.invalidate_namespace(&FROM_STRATA).await,
        Invalidation::Applied
    );
    let after = django.read(&keys.iter().collect::<Vec<_>>());
    assert!(after.values().all(|v| *v == miss()), "{after:?}");

    let raw = support::raw_redis().await;
    let django_keys: Vec<String> = cases()
        .iter()
        .map(|(name, _)| format!("{env}:myproject:1:{}", FROM_DJANGO.named(name)))
        .collect();
    let _: i64 = raw.del(django_keys).await.expect("clean up Django's keys");
}

#[test]
fn list_key_hash_matches_pythons() {
    let Some(python) = django_python() else {
        return;
    };
    let django = Django {
        python,
        key_prefix: "unused:myproject".into(),
    };
    let params = json!([
        {},
        {"page": 2, "city": "تهران", "category": "villa"},
        {"q": "ویلا \"lux\" \\ sea\n", "ordering": "-price", "min_price": 1500000000},
        {"price": 12.5, "ratio": 0.1, "big": 1e21, "neg": -3, "small": 1e-7, "f": 1.0},
        {"nested": {"b": [1, {"z": null, "y": false}], "a": "🏠"}},
    ]);
    let hashes = django.run(&["hash"], Some(&params.to_string()));
    let python: Vec<&str> = hashes.lines().collect();
    let strata: Vec<String> = params
        .as_array()
        .expect("list")
        .iter()
        .map(|p| params_hash(p).expect("JSON params hash"))
        .collect();
    assert_eq!(python, strata);
}
