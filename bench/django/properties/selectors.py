"""Database reads (no cache): what Strata's real_estate selectors read, in the default language."""

from collections import defaultdict

from django.db.models import Q

from .models import Image, Property, PropertyOption, PropertyTag, Rendition

PUBLISHED = "published"
ORDERING = {"-published_at", "price", "-price"}


def normalize(text):
    """Strata's `lang::normalize`: the city filter compares this with `city_key_*`."""
    table = {"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": " ", "|": " "}
    for digits in ("۰۱۲۳۴۵۶۷۸۹", "٠١٢٣٤٥٦٧٨٩"):
        table.update({d: str(i) for i, d in enumerate(digits)})
    return " ".join("".join(table.get(c, c) for c in text.lower()).split())


def _images(ids):
    images = list(
        Image.objects.filter(owner_type="property", owner_id__in=ids).order_by(
            "owner_id", "position", "id"
        )
    )
    variants = defaultdict(list)
    for r in Rendition.objects.filter(image_id__in=[i.id for i in images]).order_by(
        "image_id", "width", "-format"
    ):
        variants[r.image_id].append(r)
    by_owner = defaultdict(list)
    for image in images:
        image.variants = variants[image.id]
        by_owner[image.owner_id].append(image)
    return by_owner


def _related(rows, with_options):
    """Attaches tags, images (and options) to `rows` in a fixed number of queries."""
    ids = [p.id for p in rows]
    tags = defaultdict(list)
    for link in PropertyTag.objects.filter(property_id__in=ids).select_related("tag"):
        tags[link.property_id].append(link.tag)
    options = defaultdict(list)
    if with_options:
        for link in PropertyOption.objects.filter(property_id__in=ids).select_related("option"):
            options[link.property_id].append(link.option)
    images = _images(ids)
    for p in rows:
        p.tag_list = tags[p.id]
        p.option_list = sorted(options[p.id], key=lambda o: (o.group, o.position, o.name_fa))
        p.image_list = images[p.id]
    return rows


def detail_of(pk):
    row = Property.objects.select_related("category").filter(pk=pk, status=PUBLISHED).first()
    return None if row is None else _related([row], with_options=True)[0]


def published_page(filters, offset, limit):
    """(count, rows) of one page of published properties matching `filters`."""
    qs = Property.objects.select_related("category").filter(status=PUBLISHED)
    if "city" in filters:
        key = normalize(filters["city"])
        qs = qs.filter(Q(city_key_fa=key) | Q(city_key_en=key)) if key else qs.none()
    # Then id descending, so pages never overlap (as Strata orders).
    qs = qs.order_by(filters["ordering"], "-id")
    return qs.count(), _related(list(qs[offset : offset + limit]), with_options=False)
