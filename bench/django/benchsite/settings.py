"""The original stack as a baseline for bench/compare.sh: Django + DRF + django-redis with the
cache policy's settings (docs/POLICY.md, policy §10), reading Strata's tables."""

import os

SECRET_KEY = "bench-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"

# No sessions, auth or admin: the public endpoints need none, and each would only add
# per-request work that Strata does not do either.
INSTALLED_APPS = ["rest_framework", "properties"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]

# DATABASE_URL is postgres://user@host:port/name, as Strata reads it.
_url = os.environ["DATABASE_URL"].removeprefix("postgres://").removeprefix("postgresql://")
_auth, _, _rest = _url.rpartition("@")
_hostport, _, _name = _rest.partition("/")
_host, _, _port = _hostport.partition(":")
_user, _, _password = _auth.partition(":")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _name,
        "USER": _user,
        "PASSWORD": _password,
        "HOST": _host,
        "PORT": _port or "5432",
        # Persistent connections, as a production deployment keeps them.
        "CONN_MAX_AGE": 600,
    }
}

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
        "KEY_PREFIX": f"{os.environ.get('ENV') or 'dev'}:myproject",
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
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_redis": {"handlers": ["console"], "level": "ERROR"}},
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "properties.views.Pagination",
    "PAGE_SIZE": 20,
}
