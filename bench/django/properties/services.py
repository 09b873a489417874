"""The service layer: the only place that reads and writes the cache (policy §4), storing
serializer output (plain data) under the policy's keys and TTLs."""

import hashlib
import json

from django.core.cache import cache

from . import selectors
from .serializers import PropertyDetailSerializer, PropertySerializer

LIST_PREFIX = "public:property:list"
DETAIL_PREFIX = "public:property:detail"
LIST_TTL = 120
DETAIL_TTL = 300
# Tells a cached "none" (a missing property, cached as null) from a miss.
_MISSING = object()


def _build_key(resource, params):
    payload = json.dumps(params, sort_keys=True, ensure_ascii=False)
    return f"{resource}:{hashlib.sha256(payload.encode()).hexdigest()[:10]}"


def get_list(filters, page, page_size):
    """{"count", "results"} of one page; the view adds the links of the request."""
    params = {**filters, "page": page, "page_size": page_size}
    key = _build_key(LIST_PREFIX, params)
    data = cache.get(key, _MISSING)
    if data is _MISSING:
        count, rows = selectors.published_page(filters, (page - 1) * page_size, page_size)
        data = {"count": count, "results": PropertySerializer(rows, many=True).data}
        cache.set(key, data, LIST_TTL)
    return data


def get_detail(pk):
    """The property's representation, or None when it is missing or not published."""
    key = f"{DETAIL_PREFIX}:{pk}"
    data = cache.get(key, _MISSING)
    if data is _MISSING:
        row = selectors.detail_of(pk)
        data = None if row is None else PropertyDetailSerializer(row).data
        cache.set(key, data, DETAIL_TTL)
    return data
