"""The Django side of the wire-compatibility test: django-redis configured as the policy's §10.

Usage (the Rust test drives it):
    django_side.py REDIS_URL KEY_PREFIX read KEY...    prints {"KEY": value | {"$miss": true}}
    django_side.py REDIS_URL KEY_PREFIX get KEY...     prints {"KEY": cache.get(KEY)}, the default None
    django_side.py REDIS_URL KEY_PREFIX write          reads {"KEY": value} on stdin, cache.set()s each
    django_side.py REDIS_URL KEY_PREFIX make-key KEY   prints the Redis key django-redis uses
    django_side.py REDIS_URL KEY_PREFIX hash           reads a JSON list of params, prints their hash10
"""

import hashlib
import json
import sys

import django
from django.conf import settings

MISS = object()


def configure(redis_url: str, key_prefix: str) -> None:
    settings.configure(
        CACHES={
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": key_prefix,
                "VERSION": 1,
                "TIMEOUT": 300,
                "OPTIONS": {
                    "CLIENT_CLASS": "django_redis.client.DefaultClient",
                    "SERIALIZER": "django_redis.serializers.json.JSONSerializer",
                    "CONNECTION_POOL_KWARGS": {"max_connections": 50, "retry_on_timeout": True},
                    "SOCKET_CONNECT_TIMEOUT": 5,
                    "SOCKET_TIMEOUT": 5,
                    "IGNORE_EXCEPTIONS": True,
                },
            }
        },
        DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS=True,
        DJANGO_REDIS_LOGGER="django_redis",
    )
    django.setup()


def main() -> None:
    redis_url, key_prefix, command, *args = sys.argv[1:]
    configure(redis_url, key_prefix)
    from django.core.cache import cache

    if command == "read":
        out = {}
        for key in args:
            value = cache.get(key, MISS)
            out[key] = {"$miss": True} if value is MISS else value
        print(json.dumps(out, ensure_ascii=False))
    elif command == "get":
        # What the policy's services see: `cache.get(key)` with its default, None, for a miss.
        print(json.dumps({key: cache.get(key) for key in args}, ensure_ascii=False))
    elif command == "write":
        for key, value in json.load(sys.stdin).items():
            cache.set(key, value)
    elif command == "make-key":
        print(cache.make_key(args[0]))
    elif command == "hash":
        # The policy's _build_key hash.
        for params in json.load(sys.stdin):
            text = json.dumps(params, sort_keys=True, ensure_ascii=False)
            print(hashlib.sha256(text.encode()).hexdigest()[:10])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
