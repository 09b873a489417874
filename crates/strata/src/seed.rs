//! `strata seed --demo`: deterministic demo content, every text in Persian and English —
//! taxonomy and properties — inserted in batches (10k properties take seconds on SQLite). Idempotent:
//! rows are keyed by slug and only missing ones are added. The properties on the first pages a
//! visitor sees get photos drawn on the spot (`strata-demo`), stored as uploads are.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use chrono::{Duration, TimeZone, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};
use strata_api::lang::stored_sort_key;
use strata_api::{Change, ChangeSink, Lang, MediaStorage, Op, Receipt};
use strata_demo::Rng;
use strata_media::renditions::RenditionError;
use strata_media::services::{self as media, MediaError, Owner};
use strata_media::{ImageFormat, Upload, ValidImage};
use strata_real_estate::models::{property, property_option, property_tag};
use strata_real_estate::selectors::{self, IMAGE_OWNER};
use strata_real_estate::serializers::SearchColumns;
use strata_taxonomy::catalog as taxonomy;
use strata_taxonomy::models::{category, option, tag};

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seeding failed: {0}")]
    Db(#[from] DbErr),
    #[error("storing a demo photo failed: {0}")]
    Media(#[from] MediaError),
    #[error("drawing a demo photo failed: {0}")]
    Draw(#[from] image::ImageError),
    #[error("making a demo photo's renditions failed: {0}")]
    Renditions(#[from] RenditionError),
    #[error("drawing the demo photos stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
}

pub struct SeedReport {
    pub properties_added: usize,
    pub properties_total: u32,
    pub photos_added: usize,
}

impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Demo data ready: {} properties ({} added), {} photos added.",
            self.properties_total, self.properties_added, self.photos_added
        )
    }
}

/// SplitMix64: a fixed seed gives the same data set on every machine.
/// (slug, English name, Persian name, parent slug)
const CATEGORIES: &[(&str, &str, &str, Option<&str>)] = &[
    ("apartment", "Apartment", "آپارتمان", None),
    ("penthouse", "Penthouse", "پنت‌هاوس", Some("apartment")),
    ("villa", "Villa", "ویلا", None),
    ("office", "Office", "دفتر کار", None),
    ("shop", "Shop", "مغازه", None),
    ("land", "Land", "زمین", None),
];
/// (slug, English name, Persian name)
const TAGS: &[(&str, &str, &str)] = &[
    ("new-build", "New build", "نوساز"),
    ("sea-view", "Sea view", "چشم‌انداز دریا"),
    ("near-metro", "Near the metro", "نزدیک مترو"),
    ("luxury", "Luxury", "لوکس"),
    ("renovated", "Renovated", "بازسازی‌شده"),
    ("quiet", "Quiet", "آرام"),
];
/// (slug, English name, Persian name, group key)
const OPTIONS: &[(&str, &str, &str, &str)] = &[
    ("parking", "Parking", "پارکینگ", "facilities"),
    ("elevator", "Elevator", "آسانسور", "facilities"),
    ("storage", "Storage room", "انباری", "facilities"),
    ("balcony", "Balcony", "بالکن", "comfort"),
    ("pool", "Swimming pool", "استخر", "comfort"),
    ("gym", "Gym", "باشگاه ورزشی", "comfort"),
    ("security", "Security guard", "نگهبانی", "security"),
];
/// The options' groups: (key, English label, Persian label).
const GROUPS: &[(&str, &str, &str)] = &[
    ("facilities", "Facilities", "امکانات"),
    ("comfort", "Comfort", "رفاه و آسایش"),
    ("security", "Security", "امنیت"),
];
/// (English, Persian, districts as (English, Persian))
type City = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);
const CITIES: &[City] = &[
    (
        "Tehran",
        "تهران",
        &[
            ("Niavaran", "نیاوران"),
            ("Saadat Abad", "سعادت‌آباد"),
            ("Jordan", "جردن"),
            ("Pasdaran", "پاسداران"),
        ],
    ),
    (
        "Shiraz",
        "شیراز",
        &[("Eram", "ارم"), ("Zand", "زند"), ("Maaliabad", "معالی‌آباد")],
    ),
    (
        "Isfahan",
        "اصفهان",
        &[
            ("Jolfa", "جلفا"),
            ("Chaharbagh", "چهارباغ"),
            ("Sepahan Shahr", "سپاهان‌شهر"),
        ],
    ),
    (
        "Tabriz",
        "تبریز",
        &[("Valiasr", "ولیعصر"), ("Roshdieh", "رشدیه")],
    ),
    (
        "Mashhad",
        "مشهد",
        &[("Sajjad", "سجاد"), ("Vakilabad", "وکیل‌آباد")],
    ),
    (
        "Rasht",
        "رشت",
        &[("Golsar", "گلسار"), ("Manzarieh", "منظریه")],
    ),
    ("Kish", "کیش", &[("Marjan", "مرجان"), ("Sadaf", "صدف")]),
];
/// (English, Persian): the same adjective in both languages.
const ADJECTIVES: &[(&str, &str)] = &[
    ("bright", "نورگیر"),
    ("spacious", "دلباز"),
    ("cozy", "دنج"),
    ("modern", "مدرن"),
    ("sunny", "آفتاب‌گیر"),
    ("quiet", "آرام"),
    ("elegant", "شیک"),
];

/// Kinds of property that have no rooms to count.
const ROOMLESS: &[&str] = &["land", "shop"];

/// `word` with its first letter in upper case.
fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// "A" or "An" before `word` (the demo's adjectives: by their first letter).
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "An"
    } else {
        "A"
    }
}

const BATCH: usize = 500;

/// Tehran's usual prices per square metre in rials (late 2025): to buy, to rent a month, and a
/// rental's deposit (رهن).
const SALE_PER_M2: i64 = 1_000_000_000;
const RENT_PER_M2: i64 = 2_000_000;
const DEPOSIT_PER_M2: i64 = 50_000_000;

/// A city's prices, in percent of Tehran's.
fn city_price_percent(city: &str) -> i64 {
    match city {
        "Tehran" => 100,
        "Kish" => 80,
        "Isfahan" => 50,
        "Shiraz" => 45,
        "Mashhad" => 40,
        _ => 35,
    }
}

/// `changes` receives what the seed changed (the invalidation map: data cache and web tier);
/// photos go to `media`, the storage uploads use.
pub async fn demo(
    db: &DatabaseConnection,
    changes: &dyn ChangeSink,
    media: &dyn MediaStorage,
    properties: u32,
) -> Result<SeedReport, SeedError> {
    let now = Utc::now();
    let categories = seed_categories(db, now).await?;
    let tags = seed_terms(db, now).await?;
    let options = seed_options(db, now).await?;

    let existing: HashSet<String> = property::Entity::find()
        .select_only()
        .column(property::Column::Slug)
        .filter(property::Column::Slug.starts_with("demo-"))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let bar = ProgressBar::new(u64::from(properties));
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("properties");
    let category_ids: Vec<i64> = CATEGORIES
        .iter()
        .filter_map(|c| categories.get(c.0).copied())
        .collect();
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
        .single()
        .unwrap_or(now);
    let mut added = 0;
    let numbers: Vec<u32> = (1..=properties).collect();
    for chunk in numbers.chunks(BATCH) {
        let txn = db.begin().await?;
        let mut rows = Vec::new();
        let mut links: Vec<(String, Vec<i64>, Vec<i64>)> = Vec::new();
        for &n in chunk {
            // Each property draws from its own stream, so N properties are always the same N.
            let mut rng = Rng(u64::from(n).wrapping_mul(0x2545_F491_4F6C_DD1D));
            let slug = format!("demo-{n}");
            if existing.contains(&slug) {
                continue;
            }
            let (city_en, city_fa, districts) = *rng.pick(CITIES);
            let category = *rng.pick(&category_ids);
            let kind = CATEGORIES
                .iter()
                .find(|c| categories.get(c.0) == Some(&category))
                .map_or(("", "", ""), |c| (c.0, c.1, c.2));
            let rent = rng.below(3) == 0;
            let area = 45 + rng.below(400) as i64;
            // Drawn for every kind, so the stream (and every later field) stays the same.
            let drawn_rooms = 1 + rng.below(5) as i32;
            let rooms = if ROOMLESS.contains(&kind.0) {
                0
            } else {
                drawn_rooms
            };
            let (adjective_en, adjective_fa) = *rng.pick(ADJECTIVES);
            let (district_en, district_fa) = *rng.pick(districts);
            let number = 1 + rng.below(200);
            let fa_digits = |n: &dyn fmt::Display| {
                strata_web::i18n::SiteLang::digits(strata_api::Lang::Fa, &n.to_string())
            };
            let kind_en = kind.1.to_lowercase();
            let title_en = format!(
                "{} {kind_en} of {area} m² in {city_en}",
                capitalized(adjective_en)
            );
            let title_fa = format!(
                "{} {adjective_fa} {} متری در {city_fa}",
                kind.2,
                fa_digits(&area)
            );
            // Homes count bedrooms, offices rooms.
            let (room_en, room_fa) = if kind.0 == "office" {
                ("room", "اتاق")
            } else {
                ("bedroom", "خواب")
            };
            let (rooms_en, rooms_fa) = match rooms {
                0 => (String::new(), String::new()),
                1 => (format!(" with 1 {room_en}"), format!(" با یک {room_fa}")),
                n => (
                    format!(" with {n} {room_en}s"),
                    format!(" با {} {room_fa}", fa_digits(&n)),
                ),
            };
            let description_en = format!(
                "<p>{} {adjective_en} {kind_en}{rooms_en} in {district_en}, {city_en}.</p><p>Close to shops and public transport.</p>",
                article(adjective_en)
            );
            let description_fa = format!(
                "<p>{} {adjective_fa}{rooms_fa} در {district_fa}، {city_fa}.</p><p>نزدیک به فروشگاه‌ها و حمل‌ونقل عمومی.</p>",
                kind.2
            );
            let search = SearchColumns::new(
                [&title_fa, &title_en],
                [city_fa, city_en],
                [district_fa, district_en],
            );
            // Rials, as Iranian listing sites quote them (in tomans: a tenth): a city's usual
            // price per square metre, 60–158 % of it, rounded as listings are.
            let spread = 60 + rng.below(50) as i64 * 2;
            let rials = |per_m2: i64, round: i64| {
                let exact = per_m2 * area / 100 * city_price_percent(city_en) * spread / 100;
                (exact + round / 2) / round * round
            };
            let roll = rng.below(20);
            let status = match roll {
                0 | 1 => "draft",
                2 => "archived",
                _ => "published",
            };
            let created = base + Duration::minutes(i64::from(n) * 7);
            rows.push(property::ActiveModel {
                title_sort: Set(stored_sort_key(&title_fa, &title_en)),
                title_fa: Set(title_fa),
                title_en: Set(title_en),
                slug: Set(slug.clone()),
                description_fa: Set(description_fa),
                description_en: Set(description_en),
                deal: Set(if rent { "rent" } else { "sale" }.to_owned()),
                // Stored in hundredths: a sale's price, or a rental's monthly rent and deposit.
                price: Set(if rent {
                    rials(RENT_PER_M2, 5_000_000)
                } else {
                    rials(SALE_PER_M2, 100_000_000)
                } * 100),
                deposit: Set(rent.then(|| rials(DEPOSIT_PER_M2, 100_000_000) * 100)),
                area: Set(area * 100),
                rooms: Set(rooms),
                city_fa: Set(city_fa.to_owned()),
                city_en: Set(city_en.to_owned()),
                district_fa: Set(district_fa.to_owned()),
                district_en: Set(district_en.to_owned()),
                address_fa: Set(format!("{district_fa}، پلاک {}", fa_digits(&number))),
                address_en: Set(format!("No. {number}, {district_en} St.")),
                search_text: Set(search.search_text),
                city_key_fa: Set(search.city_key_fa),
                city_key_en: Set(search.city_key_en),
                status: Set(status.to_owned()),
                featured: Set(rng.below(10) == 0),
                category_id: Set(Some(category)),
                published_at: Set((status != "draft").then_some(created)),
                created_at: Set(created),
                updated_at: Set(created),
                ..Default::default()
            });
            let tag_ids = (0..rng.below(3))
                .map(|_| *rng.pick(&tags))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            let option_ids = (0..1 + rng.below(4))
                .map(|_| *rng.pick(&options))
                .collect::<HashSet<_>>()
                .into_iter()
                .collect();
            links.push((slug, tag_ids, option_ids));
        }
        if !rows.is_empty() {
            added += rows.len();
            property::Entity::insert_many(rows).exec(&txn).await?;
            let slugs: Vec<String> = links.iter().map(|l| l.0.clone()).collect();
            let ids: HashMap<String, i64> = property::Entity::find()
                .select_only()
                .column(property::Column::Slug)
                .column(property::Column::Id)
                .filter(property::Column::Slug.is_in(slugs))
                .into_tuple::<(String, i64)>()
                .all(&txn)
                .await?
                .into_iter()
                .collect();
            let mut tag_rows = Vec::new();
            let mut option_rows = Vec::new();
            for (slug, tag_ids, option_ids) in &links {
                let Some(&id) = ids.get(slug) else { continue };
                tag_rows.extend(tag_ids.iter().map(|t| property_tag::ActiveModel {
                    property_id: Set(id),
                    tag_id: Set(*t),
                }));
                option_rows.extend(option_ids.iter().map(|o| property_option::ActiveModel {
                    property_id: Set(id),
                    option_id: Set(*o),
                }));
            }
            if !tag_rows.is_empty() {
                property_tag::Entity::insert_many(tag_rows)
                    .exec(&txn)
                    .await?;
            }
            if !option_rows.is_empty() {
                property_option::Entity::insert_many(option_rows)
                    .exec(&txn)
                    .await?;
            }
        }
        txn.commit().await?;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    let photos_added = attach_photos(db, media).await?;
    // A shared cache may hold lists from before: taxonomy changes invalidate every property
    // list and detail, through the same map as any mutation.
    for entity in [taxonomy::CATEGORY, taxonomy::TAG, taxonomy::OPTION] {
        changes
            .committed(
                &Change::new(entity, Op::Bulk, Vec::new(), Vec::new()),
                Receipt::default(),
            )
            .await;
    }
    Ok(SeedReport {
        properties_added: added,
        properties_total: properties,
        photos_added,
    })
}

/// Two or three photos for each demo property without any on the first pages a visitor sees
/// (`strata_web::first_lists`: the home page, the listing's first two pages, each demo
/// category's first page, in both languages), read as those pages read them — so a re-run adds
/// none, and a larger `--properties` photographs its own first pages. Drawing and encoding a
/// photo takes tens of milliseconds: photos for all of `--properties 10000` would take minutes.
/// Each property's in one transaction, through the upload path, then their renditions. Returns
/// how many photos.
async fn attach_photos(
    db: &DatabaseConnection,
    storage: &dyn MediaStorage,
) -> Result<usize, SeedError> {
    let categories: Vec<String> = CATEGORIES.iter().map(|c| c.0.to_owned()).collect();
    let mut chosen = BTreeMap::new();
    for lang in Lang::ALL {
        for (filter, page) in strata_web::first_lists(lang, &categories) {
            let shown = selectors::published_page(db, &filter, page).await?;
            chosen.extend(
                shown
                    .results
                    .into_iter()
                    .filter(|p| p.cover.is_none())
                    .map(|p| (p.id, p.slug)),
            );
        }
    }
    let mut renditions = Vec::new();
    for (id, slug) in chosen {
        // The drawing is seeded by the property's number, so it gets the same photos everywhere.
        let Some(n) = slug
            .strip_prefix("demo-")
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // One thread a photo: encoding dominates, and the cores share it.
        let drawing: Vec<_> = (0..2 + n % 2)
            .map(|index| tokio::task::spawn_blocking(move || strata_demo::photo(n, index)))
            .collect();
        let mut photos = Vec::with_capacity(drawing.len());
        for task in drawing {
            photos.push(task.await??);
        }
        let txn = db.begin().await?;
        for bytes in photos {
            let upload = Upload {
                bytes,
                image: ValidImage {
                    format: ImageFormat::Jpeg,
                    width: strata_demo::WIDTH,
                    height: strata_demo::HEIGHT,
                },
                // Pages fall back to the listing's title, in the page's language.
                alt: String::new(),
            };
            let owner = Owner {
                kind: IMAGE_OWNER,
                id,
            };
            renditions.push(media::add(&txn, storage, owner, upload).await?.renditions);
        }
        txn.commit().await?;
    }
    let added = renditions.len();
    // As an upload's: made once its row has committed, so pages carry srcset from the start.
    for job in renditions {
        strata_media::renditions::make_now(db, storage, job).await?;
    }
    Ok(added)
}

/// Real-estate categories by slug, parents before children.
async fn seed_categories(
    db: &DatabaseConnection,
    now: chrono::DateTime<Utc>,
) -> Result<HashMap<&'static str, i64>, DbErr> {
    let mut ids = HashMap::new();
    for (position, (slug, en, fa, parent)) in CATEGORIES.iter().enumerate() {
        let found = category::Entity::find()
            .filter(category::Column::App.eq("real_estate"))
            .filter(category::Column::Slug.eq(*slug))
            .one(db)
            .await?;
        let id = match found {
            Some(row) => row.id,
            None => {
                let row = category::ActiveModel {
                    app: Set("real_estate".into()),
                    name_fa: Set((*fa).into()),
                    name_en: Set((*en).into()),
                    name_sort: Set(stored_sort_key(fa, en)),
                    slug: Set((*slug).into()),
                    parent_id: Set(parent.and_then(|p| ids.get(p).copied())),
                    position: Set(position as i32),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                category::Entity::insert(row).exec(db).await?.last_insert_id
            }
        };
        ids.insert(*slug, id);
    }
    Ok(ids)
}

async fn seed_terms(
    db: &DatabaseConnection,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let mut ids = Vec::new();
    for (slug, en, fa) in TAGS {
        let found = tag::Entity::find()
            .filter(tag::Column::Slug.eq(*slug))
            .one(db)
            .await?;
        ids.push(match found {
            Some(row) => row.id,
            None => {
                let row = tag::ActiveModel {
                    name_fa: Set((*fa).into()),
                    name_en: Set((*en).into()),
                    name_sort: Set(stored_sort_key(fa, en)),
                    slug: Set((*slug).into()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                tag::Entity::insert(row).exec(db).await?.last_insert_id
            }
        });
    }
    Ok(ids)
}

async fn seed_options(
    db: &DatabaseConnection,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let mut ids = Vec::new();
    for (position, (slug, en, fa, group)) in OPTIONS.iter().enumerate() {
        let found = option::Entity::find()
            .filter(option::Column::Slug.eq(*slug))
            .one(db)
            .await?;
        ids.push(match found {
            Some(row) => row.id,
            None => {
                let (group_en, group_fa) = GROUPS
                    .iter()
                    .find(|g| g.0 == *group)
                    .map_or(("", ""), |g| (g.1, g.2));
                let row = option::ActiveModel {
                    name_fa: Set((*fa).into()),
                    name_en: Set((*en).into()),
                    name_sort: Set(stored_sort_key(fa, en)),
                    slug: Set((*slug).into()),
                    group: Set((*group).into()),
                    group_fa: Set(group_fa.into()),
                    group_en: Set(group_en.into()),
                    position: Set(position as i32),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                };
                option::Entity::insert(row).exec(db).await?.last_insert_id
            }
        });
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_follow_the_sound() {
        assert_eq!(article("elegant"), "An");
        assert_eq!(article("bright"), "A");
        assert_eq!(capitalized("spacious"), "Spacious");
    }
}
