//! The site's two languages: Persian (the default, right to left, at `/`) and English (at
//! `/en/`). Content is shown as written; these are the interface's words.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Fa,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fa, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fa => "fa",
            Lang::En => "en",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Lang::Fa => "rtl",
            Lang::En => "ltr",
        }
    }

    /// Prepended to every path of this language.
    pub fn prefix(self) -> &'static str {
        match self {
            Lang::Fa => "",
            Lang::En => "/en",
        }
    }

    pub fn og_locale(self) -> &'static str {
        match self {
            Lang::Fa => "fa_IR",
            Lang::En => "en_US",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Fa => Lang::En,
            Lang::En => Lang::Fa,
        }
    }

    pub fn words(self) -> &'static Words {
        match self {
            Lang::Fa => &FA,
            Lang::En => &EN,
        }
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
    pub min_price: &'static str,
    pub max_price: &'static str,
    pub rooms: &'static str,
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
    pub previous: &'static str,
    pub next: &'static str,
    pub page: &'static str,
    pub results: &'static str,
    pub no_results: &'static str,
    pub not_found: &'static str,
    pub not_found_text: &'static str,
    pub bad_request: &'static str,
    pub error: &'static str,
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
    min_price: "کمترین قیمت",
    max_price: "بیشترین قیمت",
    rooms: "اتاق",
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
    previous: "قبلی",
    next: "بعدی",
    page: "صفحه",
    results: "آگهی",
    no_results: "آگهی‌ای با این مشخصات پیدا نشد.",
    not_found: "پیدا نشد",
    not_found_text: "صفحه‌ای که دنبالش بودید وجود ندارد یا منتشر نشده است.",
    bad_request: "درخواست نامعتبر",
    error: "خطا",
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
    min_price: "Min price",
    max_price: "Max price",
    rooms: "Rooms",
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
    previous: "Previous",
    next: "Next",
    page: "Page",
    results: "listings",
    no_results: "No listings match these filters.",
    not_found: "Not found",
    not_found_text: "The page you asked for does not exist or is not published.",
    bad_request: "Bad request",
    error: "Error",
    properties_in: "Properties in",
    tagged: "Properties tagged",
};
