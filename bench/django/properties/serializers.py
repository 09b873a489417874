"""Properties in Strata's JSON shape (crates/apps/real_estate/src/serializers.rs), default
language (Persian) with fallback to English; plain data, no I/O."""

from decimal import Decimal

from rest_framework import serializers

LANG = "fa"
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


def pick(fa, en):
    """(value, lang): Persian, or English when the Persian text is empty."""
    return (en, "en") if not fa and en else (fa, LANG)


def amount(hundredths):
    return None if hundredths is None else str(Decimal(hundredths).scaleb(-2))


def datetime(value):
    return None if value is None else serializers.DateTimeField().to_representation(value)


def term(obj, **extra):
    name, lang = pick(obj.name_fa, obj.name_en)
    return {"id": obj.id, "name": name, "lang": lang, "slug": obj.slug, **extra}


def image(obj):
    return {
        "id": obj.id,
        "url": f"/media/{obj.file}",
        "width": obj.width,
        "height": obj.height,
        "alt": obj.alt,
        "position": obj.position,
        "variants": [
            {
                "width": v.width,
                "height": v.height,
                "format": CONTENT_TYPES.get(v.format, "application/octet-stream"),
                "url": f"/media/{v.file}",
            }
            for v in obj.variants
        ],
    }


class PropertySerializer(serializers.BaseSerializer):
    """A list item (what a card shows), or with `detail` the property in full."""

    detail = False

    def to_representation(self, p):
        fallback = []

        def text(field):
            value, lang = pick(getattr(p, f"{field}_fa"), getattr(p, f"{field}_en"))
            if lang != LANG:
                fallback.append(field)
            return value

        out = {"id": p.id, "title": text("title"), "slug": p.slug}
        if self.detail:
            out["description"] = text("description")
        out.update(
            deal=p.deal,
            price=amount(p.price),
            deposit=amount(p.deposit),
            area=amount(p.area),
            rooms=p.rooms,
            city=text("city"),
            district=text("district"),
        )
        if self.detail:
            out["address"] = text("address")
        out.update(
            lang=LANG,
            fallback=fallback,
            status=p.status,
            featured=p.featured,
            category=p.category and term(p.category),
            tags=sorted((term(t) for t in p.tag_list), key=lambda t: t["name"]),
        )
        if self.detail:
            out["options"] = [
                term(o, group=o.group, group_name=pick(o.group_fa, o.group_en)[0])
                for o in p.option_list
            ]
            out["images"] = [image(i) for i in p.image_list]
        else:
            out["cover"] = image(p.image_list[0]) if p.image_list else None
        out["published_at"] = datetime(p.published_at)
        if self.detail:
            out["created_at"] = datetime(p.created_at)
        out["updated_at"] = datetime(p.updated_at)
        return out


class PropertyDetailSerializer(PropertySerializer):
    detail = True
