//! Bilingual content, as django-modeltranslation stores it: each translatable field is a pair of
//! columns `<field>_fa` / `<field>_en`. Public endpoints answer in the requested language
//! (`?lang=`, else `Accept-Language`, else Persian), falling back to the other when a value is
//! empty; the admin reads and writes both. Search compares a normalised copy (`normalize`).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ActiveValue, ConnectionTrait, DbErr, Statement};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::input::Fields;
use crate::query::UrlQuery;

/// A content language. Persian is the site's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fa,
    En,
}

/// How the public endpoints document `?lang=`.
pub const LANG_PARAM: &str = "Content language (else the first supported `Accept-Language`, else `fa`); an empty translation falls back to the other language";

/// `?lang=` values, in the documented order.
pub const LANGS: &[&str] = &["fa", "en"];

crate::choice_schema!(
    /// A content language: one of [`LANGS`].
    LangCode = LANGS
);

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fa, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fa => "fa",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.to_ascii_lowercase().as_str() {
            "fa" => Some(Lang::Fa),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Fa => Lang::En,
            Lang::En => Lang::Fa,
        }
    }

    pub fn is_default(&self) -> bool {
        *self == Lang::default()
    }

    /// The language a text is written in: Persian if it has an Arabic-script letter.
    pub fn of_text(text: &str) -> Lang {
        if text.chars().any(is_arabic_letter) {
            Lang::Fa
        } else {
            Lang::En
        }
    }

    /// The first supported language of an `Accept-Language` header, by quality then order.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut ranges: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';');
                let tag = parts.next()?.trim();
                let quality = parts
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                let primary = tag.split('-').next()?;
                Some((quality, Lang::parse(primary)?)).filter(|(q, _)| *q > 0.0)
            })
            .collect();
        // Stable: equal qualities keep the header's order.
        ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranges.first().map(|(_, lang)| *lang)
    }
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{066E}'..='\u{06D3}' | '\u{06FA}'..='\u{06FF}'
        | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// The requested content language of a public request: `?lang=fa|en` (anything else is a 400,
/// like any bad value of a known parameter), else the first supported `Accept-Language`, else
/// Persian.
impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let query = UrlQuery::from_request_parts(parts, state).await?;
        if let Some(code) = query.choice("lang", LANGS)? {
            return Ok(Lang::parse(code).unwrap_or_default());
        }
        Ok(parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or_default())
    }
}

/// A required translatable field empty in both languages.
pub const REQUIRED_IN_ONE: &str = "This field is required in at least one language.";

/// A translatable value: both languages, each possibly empty.
#[derive(Clone, Copy, Debug)]
pub struct Pair<'a> {
    pub fa: &'a str,
    pub en: &'a str,
}

impl<'a> Pair<'a> {
    pub fn new(fa: &'a str, en: &'a str) -> Self {
        Pair { fa, en }
    }

    pub fn get(self, lang: Lang) -> &'a str {
        match lang {
            Lang::Fa => self.fa,
            Lang::En => self.en,
        }
    }

    /// The value in `lang`, or in the other language when that one is empty, with the
    /// language it is written in.
    pub fn pick(self, lang: Lang) -> (&'a str, Lang) {
        let wanted = self.get(lang);
        if wanted.is_empty() && !self.get(lang.other()).is_empty() {
            (self.get(lang.other()), lang.other())
        } else {
            (wanted, lang)
        }
    }
}

/// Picks translated fields for one language, recording those that fell back (a representation's
/// `fallback`: its fields written in the other language).
pub struct Picker {
    lang: Lang,
    fallback: Vec<String>,
}

impl Picker {
    pub fn new(lang: Lang) -> Self {
        Picker {
            lang,
            fallback: Vec::new(),
        }
    }

    pub fn pick(&mut self, field: &str, fa: &str, en: &str) -> String {
        let (value, lang) = Pair::new(fa, en).pick(self.lang);
        if lang != self.lang {
            self.fallback.push(field.to_owned());
        }
        value.to_owned()
    }

    pub fn fallback(self) -> Vec<String> {
        self.fallback
    }
}

/// A translatable field's input as sent (`None`: not sent): the plain field (`title`, the
/// default language's, as django-modeltranslation maps a plain field to the current language,
/// so a client that knows nothing of languages reads back what it wrote) and each language's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Translated {
    pub plain: Option<String>,
    pub fa: Option<String>,
    pub en: Option<String>,
}

impl Translated {
    /// Writes the values given onto a row's two columns (NotSet on a new row counts as empty).
    /// When the plain field and `_fa` are both sent and differ, the one the client changed wins:
    /// the plain one if `_fa` is the stored value (a client that sends back what it fetched and
    /// edited `title`), else `_fa`. When `required`, a result empty in both languages is refused
    /// under `field` — a PATCH may blank one language only while the other has a value.
    pub fn apply(
        self,
        field: &str,
        required: bool,
        fa: &mut ActiveValue<String>,
        en: &mut ActiveValue<String>,
    ) -> Result<(), ApiError> {
        let persian = match (self.plain, self.fa) {
            (Some(plain), Some(named)) if plain != named => {
                if fa.try_as_ref() == Some(&named) {
                    Some(plain)
                } else {
                    Some(named)
                }
            }
            (plain, named) => named.or(plain),
        };
        for (value, column) in [(persian, &mut *fa), (self.en, &mut *en)] {
            if let Some(value) = value {
                *column = ActiveValue::Set(value);
            }
        }
        let empty = |v: &ActiveValue<String>| v.try_as_ref().is_none_or(|s| s.is_empty());
        if required && empty(fa) && empty(en) {
            return Err(ApiError::field(field, REQUIRED_IN_ONE));
        }
        Ok(())
    }

    /// [`Translated::apply`] for a text an admin list sorts by: then writes `sort`, the stored
    /// key ([`stored_sort_key`]) of the values now on the row, so every write keeps it current.
    pub fn apply_sorted(
        self,
        field: &str,
        required: bool,
        fa: &mut ActiveValue<String>,
        en: &mut ActiveValue<String>,
        sort: &mut ActiveValue<String>,
    ) -> Result<(), ApiError> {
        self.apply(field, required, fa, en)?;
        let text = |v: &ActiveValue<String>| v.try_as_ref().cloned().unwrap_or_default();
        *sort = ActiveValue::Set(stored_sort_key(&text(fa), &text(en)));
        Ok(())
    }

    /// Every value sent, the English one first (what a slug is best made from).
    pub fn values(&self) -> impl Iterator<Item = &String> {
        [&self.en, &self.fa, &self.plain].into_iter().flatten()
    }

    /// Every value sent, to rewrite in place (sanitizing HTML).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut String> {
        [&mut self.en, &mut self.fa, &mut self.plain]
            .into_iter()
            .flatten()
    }
}

/// The input names of a translatable field: the plain name (the default language's, Persian)
/// and each language's (`title`, `title_fa`, `title_en`).
pub type FieldNames = [&'static str; 3];

impl Fields {
    /// A translatable string field (see [`Translated`]). When `required`, a create or replace
    /// needs a non-blank value in at least one language.
    pub fn translated(
        &mut self,
        [plain, fa_name, en_name]: FieldNames,
        required: bool,
        max_length: usize,
    ) -> Translated {
        let value = Translated {
            plain: self.string(plain, false, max_length, true),
            fa: self.string(fa_name, false, max_length, true),
            en: self.string(en_name, false, max_length, true),
        };
        // A value that was refused already says what is wrong with the field; a PATCH is
        // checked against the stored values (`Translated::apply`).
        let invalid = [plain, fa_name, en_name].iter().any(|f| self.has_error(f));
        if required && !invalid && !self.partial() && !value.values().any(|v| !v.is_empty()) {
            self.error(plain, REQUIRED_IN_ONE);
        }
        value
    }
}

/// Text as search compares it: lower case, Arabic ي/ك as Persian ی/ک, Persian and Arabic digits
/// as ASCII, ZWNJ and runs of white space as one space. Applied to the stored copy and to the
/// query alike.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            'ي' | 'ى' => 'ی',
            'ك' => 'ک',
            // ZWNJ joins a word's parts; `|` separates `search_text`'s fields.
            '\u{200C}' | '|' => ' ',
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            c => c,
        };
        if c.is_whitespace() {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The Persian alphabet in its dictionary order (the order of a Persian collation: آ before
/// ا, پ after ب, چ after ج, ژ after ز, گ after ک).
const PERSIAN_ALPHABET: [char; 33] = [
    'آ', 'ا', 'ب', 'پ', 'ت', 'ث', 'ج', 'چ', 'ح', 'خ', 'د', 'ذ', 'ر', 'ز', 'ژ', 'س', 'ش', 'ص', 'ض',
    'ط', 'ظ', 'ع', 'غ', 'ف', 'ق', 'ک', 'گ', 'ل', 'م', 'ن', 'و', 'ه', 'ی',
];

/// Longest prefix of a text [`sort_key`] reads, and the longest key it makes (bytes): keys stay
/// short enough to index (a `varchar(255)` column), and texts equal that far are ordered by
/// what comes next in the query (the id).
pub const SORT_KEY_CHARS: usize = 120;
pub const SORT_KEY_BYTES: usize = 240;

/// A key that orders texts as a Persian dictionary does, compared byte by byte (`Ord` on
/// `String`, SQLite's `BINARY`, PostgreSQL under any collation): word breaks first, then
/// digits, then the Persian alphabet in [`PERSIAN_ALPHABET`]'s order, then Latin letters
/// (case folded), then anything else by code point. Arabic ي/ى/ئ and ك are ی and ک, ۀ/ة are ه,
/// أ/إ/ٱ are ا and ؤ is و; Persian and Arabic digits are ASCII ones; ZWNJ, tatweel, harakat and
/// punctuation are ignored, runs of white space are one break. (Code point order puts پ, چ,
/// ژ, ک, گ and ی after every other letter: `پنت‌هاوس` after `ویلا`.)
///
/// Each character becomes a two-symbol token over `0-9a-z` (anything else: `zz` and six hex
/// digits), so the key is plain lower-case ASCII whose byte order is the token order.
pub fn sort_key(text: &str) -> String {
    sort_key_in(Lang::Fa, text)
}

/// [`sort_key`] for a list in `lang`: in English, Latin letters come before Persian ones (a
/// name that fell back to Persian goes after the English names).
pub fn sort_key_in(lang: Lang, text: &str) -> String {
    const SYMBOLS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    const BREAK: usize = 1;
    const DIGITS: usize = 2;
    let (hamza, persian, latin) = match lang {
        Lang::Fa => (
            DIGITS + 10,
            DIGITS + 11,
            DIGITS + 11 + PERSIAN_ALPHABET.len(),
        ),
        Lang::En => (DIGITS + 36, DIGITS + 37, DIGITS + 10),
    };
    let mut key = String::with_capacity(text.len() * 2);
    let token = |key: &mut String, n: usize| {
        key.push(char::from(SYMBOLS[n / 36]));
        key.push(char::from(SYMBOLS[n % 36]));
    };
    let mut pending_break = false;
    for c in text
        .chars()
        .take(SORT_KEY_CHARS)
        .flat_map(char::to_lowercase)
    {
        let c = match c {
            'ي' | 'ى' | 'ئ' => 'ی',
            'ك' => 'ک',
            'ۀ' | 'ة' => 'ه',
            'أ' | 'إ' | 'ٱ' => 'ا',
            'ؤ' => 'و',
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            c => c,
        };
        if c.is_whitespace() {
            pending_break = !key.is_empty();
            continue;
        }
        // Punctuation, ZWNJ and other joiners, tatweel, harakat: no part of the order.
        if !c.is_alphanumeric() || matches!(c, '\u{640}' | '\u{64B}'..='\u{65F}' | '\u{670}') {
            continue;
        }
        if std::mem::take(&mut pending_break) {
            token(&mut key, BREAK);
        }
        if c.is_ascii_digit() {
            token(&mut key, DIGITS + (c as usize - '0' as usize));
        } else if c == 'ء' {
            token(&mut key, hamza);
        } else if let Some(i) = PERSIAN_ALPHABET.iter().position(|&l| l == c) {
            token(&mut key, persian + i);
        } else if c.is_ascii_lowercase() {
            token(&mut key, latin + (c as usize - 'a' as usize));
        } else {
            // After every two-symbol token (`zz` is the largest), then by code point.
            key.push_str(&format!("zz{:06x}", c as u32));
        }
    }
    // ASCII: any byte is a char boundary.
    key.truncate(SORT_KEY_BYTES);
    key
}

/// The stored sort key of a translated text (`title_sort`, `name_sort`): the Persian text's
/// [`sort_key`], or the English one's when there is no Persian — the admin's orderings
/// (`?ordering=title`, `?ordering=name`), which list the default language, read it from a
/// column written with the row, the same on both backends.
pub fn stored_sort_key(fa: &str, en: &str) -> String {
    sort_key(if fa.trim().is_empty() { en } else { fa })
}

/// The `LIKE` pattern finding `value` anywhere in a normalised text; `%`, `_` and `\` are
/// escaped (`\`).
pub fn like_pattern(value: &str) -> String {
    let mut pattern = String::from("%");
    for c in normalize(value).chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A migration step: replaces the column `field` of `table` by `<field>_fa` and `<field>_en`
/// (`sql_type`, e.g. `varchar(200)`, not null, empty by default), each existing value copied
/// into the language it is written in ([`Lang::of_text`]). Indexes on `field` must be dropped
/// first (SQLite cannot drop an indexed column).
pub async fn split_column(
    db: &impl ConnectionTrait,
    table: &str,
    field: &str,
    sql_type: &str,
) -> Result<(), DbErr> {
    for lang in Lang::ALL {
        db.execute_unprepared(&format!(
            "ALTER TABLE {table} ADD COLUMN {field}_{} {sql_type} NOT NULL DEFAULT ''",
            lang.code()
        ))
        .await?;
    }
    fill_rows(db, table, &[field], |values| {
        let [text] = values else { return Vec::new() };
        let column = format!("{field}_{}", Lang::of_text(text).code());
        vec![(column, text.clone())]
    })
    .await?;
    db.execute_unprepared(&format!("ALTER TABLE {table} DROP COLUMN {field}"))
        .await?;
    Ok(())
}

/// A migration step: adds `<field>_sort` to `table` (the stored sort key of `<field>_fa` /
/// `<field>_en`, [`stored_sort_key`]; `varchar(255)`, not null) and fills it for every row.
pub async fn add_sort_key(
    db: &impl ConnectionTrait,
    table: &str,
    field: &str,
) -> Result<(), DbErr> {
    db.execute_unprepared(&format!(
        "ALTER TABLE {table} ADD COLUMN {field}_sort varchar(255) NOT NULL DEFAULT ''"
    ))
    .await?;
    let (fa, en) = (format!("{field}_fa"), format!("{field}_en"));
    fill_rows(db, table, &[&fa, &en], |values| {
        let [fa, en] = values else { return Vec::new() };
        vec![(format!("{field}_sort"), stored_sort_key(fa, en))]
    })
    .await
}

/// Sets, on every row of `table`, the text columns `fill` makes of the row's `columns` (text,
/// in that order): a migration's backfill, one `UPDATE` by id a row.
async fn fill_rows(
    db: &impl ConnectionTrait,
    table: &str,
    columns: &[&str],
    fill: impl Fn(&[String]) -> Vec<(String, String)>,
) -> Result<(), DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT id, {} FROM {table}", columns.join(", ")),
        ))
        .await?;
    for row in rows {
        let id: i64 = row.try_get("", "id")?;
        let values = columns
            .iter()
            .map(|column| row.try_get::<String>("", column))
            .collect::<Result<Vec<_>, _>>()?;
        let mut update = Query::update();
        update
            .table(Alias::new(table))
            .and_where(Expr::col(Alias::new("id")).eq(id));
        for (column, value) in fill(&values) {
            update.value(Alias::new(column), value);
        }
        db.execute(&update).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_letters_digits_zwnj_and_case() {
        assert_eq!(normalize("كيش"), "کیش");
        assert_eq!(normalize("۱۲۳ and ١٢٣"), "123 and 123");
        assert_eq!(normalize("می\u{200C}خواهم"), "می خواهم");
        assert_eq!(normalize("  Tehran   North "), "tehran north");
    }

    #[test]
    fn language_of_a_text_is_its_script() {
        assert_eq!(Lang::of_text("تهران"), Lang::Fa);
        assert_eq!(Lang::of_text("Tehran 2"), Lang::En);
    }

    #[test]
    fn accept_language_takes_the_best_supported() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("de, fa;q=0.5, en;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("fa-IR"), Some(Lang::Fa));
        assert_eq!(Lang::from_accept_language("de, en;q=0"), None);
    }

    #[test]
    fn a_pair_falls_back_to_the_other_language() {
        assert_eq!(Pair::new("", "Villa").pick(Lang::Fa), ("Villa", Lang::En));
        assert_eq!(
            Pair::new("ویلا", "Villa").pick(Lang::En),
            ("Villa", Lang::En)
        );
        assert_eq!(Pair::new("", "").pick(Lang::En), ("", Lang::En));
    }

    #[test]
    fn like_patterns_are_normalised_and_escaped() {
        assert_eq!(like_pattern("TEHRAN"), "%tehran%");
        assert_eq!(like_pattern("50%"), "%50\\%%");
        assert_eq!(like_pattern("a_b\\"), "%a\\_b\\\\%");
    }

    #[test]
    fn persian_text_sorts_in_alphabet_order() {
        let mut names = vec![
            "ویلا",
            "پنت‌هاوس",
            "آپارتمان",
            "زمین",
            "مغازه",
            "دفتر کار",
            "ژاله",
            "چمران",
            "گلستان",
            "کوثر",
            "یاس",
            "اکباتان",
            "Villa",
            "12 متری",
            "۳ خوابه",
        ];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(
            names,
            [
                "12 متری",
                "۳ خوابه",
                "آپارتمان",
                "اکباتان",
                "پنت‌هاوس",
                "چمران",
                "دفتر کار",
                "زمین",
                "ژاله",
                "کوثر",
                "گلستان",
                "مغازه",
                "ویلا",
                "یاس",
                "Villa",
            ]
        );
        // The whole alphabet, each letter after the one before it.
        let keys: Vec<String> = PERSIAN_ALPHABET
            .iter()
            .map(|c| sort_key(&c.to_string()))
            .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    }

    #[test]
    fn sort_keys_fold_arabic_letters_and_ignore_joiners() {
        assert_eq!(sort_key("علي"), sort_key("علی"));
        assert_eq!(sort_key("كتاب"), sort_key("کتاب"));
        assert_eq!(sort_key("پنت‌هاوس"), sort_key("پنتهاوس"));
        assert_eq!(sort_key("Villa"), sort_key("villa"));
        assert_eq!(sort_key("  دفتر   کار "), sort_key("دفتر کار"));
        assert_eq!(sort_key("۱۲"), sort_key("12"));
        // A word break comes before any letter: "دفتر کار" before "دفترچه".
        assert!(sort_key("دفتر کار") < sort_key("دفترچه"));
        assert!(sort_key("").is_empty());
        // Plain lower-case ASCII: byte order is the order on every database collation.
        let key = sort_key("ویلای «دریا» Villa 3 ✓ λ");
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()),
            "{key}"
        );
        assert!(key.ends_with(&format!("01zz{:06x}", 'λ' as u32)));
        // In English, Latin letters first.
        assert!(sort_key("Villa") > sort_key("ویلا"));
        assert!(sort_key_in(Lang::En, "Villa") < sort_key_in(Lang::En, "ویلا"));
        assert!(sort_key_in(Lang::En, "12") < sort_key_in(Lang::En, "Villa"));
        // Bounded, for an indexed column; the stored key falls back to English.
        assert_eq!(sort_key(&"λ".repeat(500)).len(), SORT_KEY_BYTES);
        assert_eq!(stored_sort_key(" ", "Villa"), sort_key("Villa"));
        assert_eq!(stored_sort_key("ویلا", "Villa"), sort_key("ویلا"));
    }
}
