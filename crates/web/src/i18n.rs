//! The site's two languages: Persian (the default, right to left, at `/`) and English (at
//! `/en/`). Content is shown as written; these are the interface's words.

pub use strata_api::Lang;

/// What the site adds to a content language: direction, paths, the interface's words and number
/// format. (The language itself is the apps' — `strata_api::Lang` — so a page asks the services
/// for the content in its own language without a conversion.)
pub trait SiteLang: Copy {
    fn dir(self) -> &'static str;
    /// Prepended to every path of this language.
    fn prefix(self) -> &'static str;
    fn og_locale(self) -> &'static str;
    /// A number (a decimal string, e.g. an amount) grouped by thousands, cents shown only when
    /// not zero, in this language's digits: the site's one number format.
    fn number(self, decimal: &str) -> String;
    fn words(self) -> &'static Words;
    /// `text` with its ASCII digits written in this language's (Persian digits on the Persian
    /// site).
    fn digits(self, text: &str) -> String;
    /// "Please try again in N seconds.", as a 503 page says it.
    fn try_again_in(self, seconds: u64) -> String;
    /// A validator message of the API in this language (see the implementation).
    fn said(self, message: &str) -> Said;
}

impl SiteLang for Lang {
    fn dir(self) -> &'static str {
        match self {
            Lang::Fa => "rtl",
            Lang::En => "ltr",
        }
    }

    /// Prepended to every path of this language.
    fn prefix(self) -> &'static str {
        match self {
            Lang::Fa => "",
            Lang::En => "/en",
        }
    }

    fn og_locale(self) -> &'static str {
        match self {
            Lang::Fa => "fa_IR",
            Lang::En => "en_US",
        }
    }

    /// A number (a decimal string, e.g. an amount) grouped by thousands, cents shown only when
    /// not zero, in this language's digits: the site's one number format.
    fn number(self, decimal: &str) -> String {
        let (whole, cents) = decimal.split_once('.').unwrap_or((decimal, "00"));
        let digits: Vec<char> = whole.chars().collect();
        let mut out = String::new();
        for (i, c) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) && c.is_ascii_digit() {
                out.push(group_separator(self));
            }
            out.push(*c);
        }
        if !cents.trim_end_matches('0').is_empty() {
            out.push(decimal_separator(self));
            out.push_str(cents);
        }
        self.digits(&out)
    }

    fn words(self) -> &'static Words {
        match self {
            Lang::Fa => &FA,
            Lang::En => &EN,
        }
    }

    /// `text` with its ASCII digits written in this language's (Persian digits on the Persian
    /// site).
    fn digits(self, text: &str) -> String {
        match self {
            Lang::Fa => text
                .chars()
                .map(|c| match c.to_digit(10) {
                    Some(d) => PERSIAN_DIGITS[d as usize],
                    None => c,
                })
                .collect(),
            Lang::En => text.to_owned(),
        }
    }

    /// "Please try again in N seconds.", as a 503 page says it.
    fn try_again_in(self, seconds: u64) -> String {
        match self {
            Lang::Fa => format!(
                "لطفاً {} ثانیهٔ دیگر دوباره تلاش کنید.",
                self.digits(&seconds.to_string())
            ),
            Lang::En if seconds == 1 => "Please try again in a second.".to_owned(),
            Lang::En => format!("Please try again in {seconds} seconds."),
        }
    }

    /// A validator message of the API (DRF's and django-filter's English wording, as the
    /// public filters and the query extractor report it) in this language. A message not known
    /// here becomes "This value is not valid.", so the Persian page never shows English.
    fn said(self, message: &str) -> Said {
        let w = self.words();
        let plain = |text| Said {
            before: text,
            value: None,
            after: "",
        };
        match message {
            "Enter a number." => plain(w.enter_number),
            "Enter a whole number." => plain(w.enter_whole_number),
            "Select a valid choice." => plain(w.select_valid_choice),
            strata_api::text::NUL_MESSAGE => plain(w.null_characters),
            strata_api::text::CONTROL_MESSAGE => plain(w.control_characters),
            INVALID_QUERY => plain(w.invalid_query),
            _ => match message
                .strip_prefix("Select a valid choice. ")
                .and_then(|rest| rest.strip_suffix(" is not one of the available choices."))
            {
                Some(value) => Said {
                    before: w.not_a_choice[0],
                    value: Some(shortened(value)),
                    after: w.not_a_choice[1],
                },
                None => plain(w.invalid_value),
            },
        }
    }
}

/// The site's own message for a query string it cannot read at all.
pub const INVALID_QUERY: &str = "Invalid query.";

const PERSIAN_DIGITS: [char; 10] = ['۰', '۱', '۲', '۳', '۴', '۵', '۶', '۷', '۸', '۹'];

/// Longest value a message quotes back (a query value can be kilobytes long).
const QUOTED_MAX: usize = 40;

/// A message as the site words it: text, then (for a message that quotes it) the value the
/// visitor sent and the text after it. The value is kept apart so a page can isolate its
/// direction (`<bdi>`): a Latin value inside a Persian sentence must not reorder it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Said {
    pub before: &'static str,
    pub value: Option<String>,
    pub after: &'static str,
}

fn shortened(value: &str) -> String {
    if value.chars().count() <= QUOTED_MAX {
        value.to_owned()
    } else {
        value.chars().take(QUOTED_MAX - 1).chain(['…']).collect()
    }
}

pub struct Words {
    pub language_name: &'static str,
    pub tagline: &'static str,
    pub home: &'static str,
    pub properties: &'static str,
    pub featured: &'static str,
    pub latest: &'static str,
    pub view_all: &'static str,
    pub filter: &'static str,
    pub category: &'static str,
    pub any: &'static str,
    pub city: &'static str,
    pub deal: &'static str,
    pub sale: &'static str,
    pub rent: &'static str,
    /// After a rental's price: the period it is for.
    pub per_month: &'static str,
    pub min_price: &'static str,
    pub max_price: &'static str,
    pub rooms: &'static str,
    /// After a count of one ("1 room"), and after any other count ("3 rooms"); Persian nouns
    /// stay singular after numbers.
    pub room_one: &'static str,
    pub room_many: &'static str,
    pub search: &'static str,
    pub ordering: &'static str,
    pub newest: &'static str,
    pub cheapest: &'static str,
    pub priciest: &'static str,
    pub price: &'static str,
    pub deposit: &'static str,
    pub area: &'static str,
    pub square_metres: &'static str,
    pub district: &'static str,
    pub address: &'static str,
    pub tags: &'static str,
    pub options: &'static str,
    /// The gallery's name, and a thumbnail's: "Photo 2 of 5".
    pub photos: &'static str,
    pub photo: &'static str,
    pub of: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub page: &'static str,
    pub results: &'static str,
    pub no_results: &'static str,
    pub not_found: &'static str,
    pub not_found_text: &'static str,
    pub bad_request: &'static str,
    /// Above the list of what was wrong with the filters.
    pub bad_request_text: &'static str,
    pub error: &'static str,
    pub error_text: &'static str,
    pub unavailable: &'static str,
    pub unavailable_text: &'static str,
    /// Labels of parameters the filter form does not show.
    pub tag: &'static str,
    /// The API's validator messages (see [`Lang::said`]); `not_a_choice` goes around the
    /// value the visitor sent.
    pub enter_number: &'static str,
    pub enter_whole_number: &'static str,
    pub select_valid_choice: &'static str,
    pub not_a_choice: [&'static str; 2],
    pub null_characters: &'static str,
    pub control_characters: &'static str,
    pub invalid_query: &'static str,
    pub invalid_value: &'static str,
    pub properties_in: &'static str,
    pub tagged: &'static str,
}

static FA: Words = Words {
    language_name: "فارسی",
    tagline: "خرید و اجارهٔ ملک",
    home: "خانه",
    properties: "املاک",
    featured: "املاک ویژه",
    latest: "تازه‌ترین آگهی‌ها",
    view_all: "همهٔ آگهی‌ها",
    filter: "جست‌وجو",
    category: "دسته",
    any: "همه",
    city: "شهر",
    deal: "نوع معامله",
    sale: "فروش",
    rent: "اجاره",
    per_month: "در ماه",
    min_price: "کمترین قیمت",
    max_price: "بیشترین قیمت",
    rooms: "اتاق",
    room_one: "اتاق",
    room_many: "اتاق",
    search: "عبارت",
    ordering: "ترتیب",
    newest: "تازه‌ترین",
    cheapest: "ارزان‌ترین",
    priciest: "گران‌ترین",
    price: "قیمت",
    deposit: "ودیعه",
    area: "متراژ",
    square_metres: "متر مربع",
    district: "محله",
    address: "نشانی",
    tags: "برچسب‌ها",
    options: "امکانات",
    photos: "عکس‌ها",
    photo: "عکس",
    of: "از",
    previous: "قبلی",
    next: "بعدی",
    page: "صفحه",
    results: "آگهی",
    no_results: "آگهی‌ای با این مشخصات پیدا نشد.",
    not_found: "پیدا نشد",
    not_found_text: "صفحه‌ای که دنبالش بودید وجود ندارد یا منتشر نشده است.",
    bad_request: "درخواست نامعتبر",
    bad_request_text: "لطفاً این موارد را در جست‌وجو درست کنید:",
    error: "خطا",
    error_text: "در ساختن این صفحه خطایی رخ داد. لطفاً کمی بعد دوباره تلاش کنید.",
    unavailable: "موقتاً در دسترس نیست",
    unavailable_text: "سایت لحظه‌ای در دسترس نیست.",
    tag: "برچسب",
    enter_number: "یک عدد وارد کنید.",
    enter_whole_number: "یک عدد صحیح وارد کنید.",
    select_valid_choice: "یک گزینهٔ معتبر انتخاب کنید.",
    not_a_choice: ["یک گزینهٔ معتبر انتخاب کنید؛ «", "» در میان گزینه‌ها نیست."],
    null_characters: "نویسه‌های تهی مجاز نیستند.",
    control_characters: "نویسه‌های کنترلی مجاز نیستند.",
    invalid_query: "نشانی این درخواست نامعتبر است.",
    invalid_value: "این مقدار معتبر نیست.",
    properties_in: "املاک در دستهٔ",
    tagged: "املاک با برچسب",
};

static EN: Words = Words {
    language_name: "English",
    tagline: "Homes to buy and rent",
    home: "Home",
    properties: "Properties",
    featured: "Featured properties",
    latest: "Latest listings",
    view_all: "All listings",
    filter: "Search",
    category: "Category",
    any: "Any",
    city: "City",
    deal: "Deal",
    sale: "For sale",
    rent: "For rent",
    per_month: "a month",
    min_price: "Min price",
    max_price: "Max price",
    rooms: "Rooms",
    room_one: "room",
    room_many: "rooms",
    search: "Keywords",
    ordering: "Sort by",
    newest: "Newest",
    cheapest: "Lowest price",
    priciest: "Highest price",
    price: "Price",
    deposit: "Deposit",
    area: "Area",
    square_metres: "m²",
    district: "District",
    address: "Address",
    tags: "Tags",
    options: "Features",
    photos: "Photos",
    photo: "Photo",
    of: "of",
    previous: "Previous",
    next: "Next",
    page: "Page",
    results: "listings",
    no_results: "No listings match these filters.",
    not_found: "Not found",
    not_found_text: "The page you asked for does not exist or is not published.",
    bad_request: "Bad request",
    bad_request_text: "Please correct these in your search:",
    error: "Error",
    error_text: "Something went wrong while building this page. Please try again shortly.",
    unavailable: "Temporarily unavailable",
    unavailable_text: "The site is briefly unavailable.",
    tag: "Tag",
    enter_number: "Enter a number.",
    enter_whole_number: "Enter a whole number.",
    select_valid_choice: "Select a valid choice.",
    not_a_choice: [
        "Select a valid choice. “",
        "” is not one of the available choices.",
    ],
    null_characters: "Null characters are not allowed.",
    control_characters: "Control characters are not allowed.",
    invalid_query: "This address's query is not valid.",
    invalid_value: "This value is not valid.",
    properties_in: "Properties in",
    tagged: "Properties tagged",
};

fn group_separator(lang: Lang) -> char {
    match lang {
        Lang::Fa => '٬',
        Lang::En => ',',
    }
}

fn decimal_separator(lang: Lang) -> char {
    match lang {
        Lang::Fa => '٫',
        Lang::En => '.',
    }
}

#[cfg(test)]
mod tests {
    use strata_api::{ApiError, UrlQuery};

    use super::*;

    /// Every message the public filters and the query extractor can give, from the code that
    /// gives it: a reworded message in the API fails here instead of turning generic.
    fn api_messages() -> Vec<String> {
        let query = UrlQuery::new(
            "http://localhost/",
            [
                ("min_price", "abc"),
                ("max_price", "-1"),
                ("rooms", "-1"),
                ("deal", "x"),
                ("featured", "maybe"),
                ("ordering", "name"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec(),
        );
        let mut messages = Vec::new();
        let mut collect = |result: Result<(), ApiError>| match result {
            Err(ApiError::Invalid(errors)) => messages.extend(
                errors
                    .iter()
                    .flat_map(|(_, said)| said.iter().cloned())
                    .collect::<Vec<_>>(),
            ),
            other => panic!("expected a 400, got {other:?}"),
        };
        collect(strata_real_estate::filters::public(&query, strata_api::Lang::Fa).map(drop));
        for value in ["\0", "\u{1}"] {
            let params = [("city".to_owned(), value.to_owned())];
            collect(strata_api::text::check_params(&params));
        }
        messages.push(INVALID_QUERY.to_owned());
        messages
    }

    #[test]
    fn every_api_message_is_translated() {
        let messages = api_messages();
        assert_eq!(messages.len(), 9, "{messages:?}");
        for lang in Lang::ALL {
            let generic = lang.words().invalid_value;
            for message in &messages {
                let said = lang.said(message);
                assert_ne!(
                    said.before, generic,
                    "{lang:?} has no words for {message:?}"
                );
            }
        }
        for message in &messages {
            let fa = Lang::Fa.said(message);
            let text = format!("{}{}", fa.before, fa.after);
            assert!(
                !text.chars().any(|c| c.is_ascii_alphabetic()),
                "English in {text:?}"
            );
        }
    }

    #[test]
    fn a_quoted_value_is_kept_apart_and_short() {
        let said = Lang::Fa.said("Select a valid choice. x is not one of the available choices.");
        assert_eq!(said.value.as_deref(), Some("x"));
        assert!(said.after.ends_with("نیست."));
        let long = "y".repeat(1000);
        let said = Lang::En.said(&format!(
            "Select a valid choice. {long} is not one of the available choices."
        ));
        assert_eq!(said.value.map(|v| v.chars().count()), Some(QUOTED_MAX));
        assert_eq!(
            Lang::Fa.said("Ensure this field has no more than 100 elements."),
            Said {
                before: FA.invalid_value,
                value: None,
                after: ""
            }
        );
    }

    #[test]
    fn persian_pages_write_persian_digits() {
        assert_eq!(Lang::Fa.digits("1,250 m2"), "۱,۲۵۰ m۲");
        assert_eq!(Lang::En.digits("1,250"), "1,250");
        assert_eq!(Lang::Fa.number("1500000000.50"), "۱٬۵۰۰٬۰۰۰٬۰۰۰٫۵۰");
        assert_eq!(Lang::En.number("1500000000.50"), "1,500,000,000.50");
        assert_eq!(Lang::En.number("120.00"), "120");
        assert_eq!(
            Lang::Fa.try_again_in(5),
            "لطفاً ۵ ثانیهٔ دیگر دوباره تلاش کنید."
        );
        assert_eq!(Lang::En.try_again_in(1), "Please try again in a second.");
    }
}
