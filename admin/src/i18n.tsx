// Persian (RTL, default) and English. The chosen language is the one thing the admin stores in
// the browser (localStorage): it is a preference, not data from the API.
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

export type Lang = "fa" | "en";
const STORAGE_KEY = "strata-admin-lang";

const fa = {
  appName: "مدیریت استراتا",
  login: "ورود",
  logout: "خروج",
  username: "نام کاربری",
  password: "گذرواژه",
  me: "حساب من",
  role: "نقش",
  email: "ایمیل",
  properties: "املاک",
  categories: "دسته‌ها",
  tags: "برچسب‌ها",
  options: "امکانات",
  language: "English",
  search: "جستجو",
  status: "وضعیت",
  deal: "نوع معامله",
  ordering: "ترتیب",
  all: "همه",
  draft: "پیش‌نویس",
  published: "منتشرشده",
  archived: "بایگانی",
  sale: "فروش",
  rent: "اجاره",
  title: "عنوان",
  price: "قیمت",
  city: "شهر",
  category: "دسته",
  updated: "به‌روزرسانی",
  newest: "جدیدترین",
  oldest: "قدیمی‌ترین",
  priceUp: "ارزان‌ترین",
  priceDown: "گران‌ترین",
  loading: "در حال بارگذاری…",
  empty: "چیزی پیدا نشد.",
  error: "خطا در دریافت داده‌ها",
  retry: "تلاش دوباره",
  create: "افزودن",
  edit: "ویرایش",
  save: "ذخیره",
  cancel: "انصراف",
  delete: "حذف",
  selected: "انتخاب‌شده",
  selectAll: "انتخاب همه",
  selectRow: "انتخاب ردیف",
  publish: "انتشار",
  archive: "بایگانی کردن",
  toDraft: "پیش‌نویس کردن",
  confirmDelete: "حذف شود؟",
  newProperty: "ملک جدید",
  editProperty: "ویرایش ملک",
  titleFa: "عنوان (فارسی)",
  titleEn: "عنوان (انگلیسی)",
  descriptionFa: "توضیحات (فارسی)",
  descriptionEn: "توضیحات (انگلیسی)",
  cityFa: "شهر (فارسی)",
  cityEn: "شهر (انگلیسی)",
  districtFa: "محله (فارسی)",
  districtEn: "محله (انگلیسی)",
  addressFa: "نشانی (فارسی)",
  addressEn: "نشانی (انگلیسی)",
  deposit: "ودیعه",
  area: "متراژ",
  rooms: "اتاق",
  featured: "ویژه",
  slug: "نامک",
  none: "هیچ",
  nameFa: "نام (فارسی)",
  nameEn: "نام (انگلیسی)",
  parent: "والد",
  group: "گروه",
  position: "جایگاه",
  app: "برنامه",
  saved: "ذخیره شد",
  page: "صفحه",
  count: "تعداد",
  actions: "عملیات",
  notFound: "این صفحه وجود ندارد.",
  nav: "ناوبری",
  skip: "پرش به محتوا",
};

export type Key = keyof typeof fa;

const en: Record<Key, string> = {
  appName: "Strata admin",
  login: "Log in",
  logout: "Log out",
  username: "Username",
  password: "Password",
  me: "My account",
  role: "Role",
  email: "Email",
  properties: "Properties",
  categories: "Categories",
  tags: "Tags",
  options: "Options",
  language: "فارسی",
  search: "Search",
  status: "Status",
  deal: "Deal",
  ordering: "Order by",
  all: "All",
  draft: "Draft",
  published: "Published",
  archived: "Archived",
  sale: "Sale",
  rent: "Rent",
  title: "Title",
  price: "Price",
  city: "City",
  category: "Category",
  updated: "Updated",
  newest: "Newest",
  oldest: "Oldest",
  priceUp: "Cheapest",
  priceDown: "Most expensive",
  loading: "Loading…",
  empty: "Nothing found.",
  error: "Could not load the data",
  retry: "Retry",
  create: "Add",
  edit: "Edit",
  save: "Save",
  cancel: "Cancel",
  delete: "Delete",
  selected: "selected",
  selectAll: "Select all",
  selectRow: "Select row",
  publish: "Publish",
  archive: "Archive",
  toDraft: "Back to draft",
  confirmDelete: "Delete?",
  newProperty: "New property",
  editProperty: "Edit property",
  titleFa: "Title (Persian)",
  titleEn: "Title (English)",
  descriptionFa: "Description (Persian)",
  descriptionEn: "Description (English)",
  cityFa: "City (Persian)",
  cityEn: "City (English)",
  districtFa: "District (Persian)",
  districtEn: "District (English)",
  addressFa: "Address (Persian)",
  addressEn: "Address (English)",
  deposit: "Deposit",
  area: "Area (m²)",
  rooms: "Rooms",
  featured: "Featured",
  slug: "Slug",
  none: "None",
  nameFa: "Name (Persian)",
  nameEn: "Name (English)",
  parent: "Parent",
  group: "Group",
  position: "Position",
  app: "App",
  saved: "Saved",
  page: "Page",
  count: "Count",
  actions: "Actions",
  notFound: "This page does not exist.",
  nav: "Navigation",
  skip: "Skip to content",
};

const dictionaries: Record<Lang, Record<Key, string>> = { fa, en };

interface I18n {
  lang: Lang;
  dir: "rtl" | "ltr";
  t: (key: Key) => string;
  setLang: (lang: Lang) => void;
}

const Context = createContext<I18n | null>(null);

function stored(): Lang {
  return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "fa";
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(stored);
  const value = useMemo<I18n>(
    () => ({
      lang,
      dir: lang === "fa" ? "rtl" : "ltr",
      t: (key) => dictionaries[lang][key],
      setLang: (next) => {
        localStorage.setItem(STORAGE_KEY, next);
        setLangState(next);
      },
    }),
    [lang],
  );
  useEffect(() => {
    document.documentElement.lang = lang;
    document.documentElement.dir = value.dir;
  }, [lang, value.dir]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(Context);
  if (value === null) throw new Error("useI18n outside I18nProvider");
  return value;
}
