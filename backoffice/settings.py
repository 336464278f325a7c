"""Settings, all read from the environment (see .env.example).

With nothing set the app runs on a local SQLite file with DEBUG off, so it needs a SECRET_KEY;
`make run` turns DEBUG on, and the tests use `backoffice.settings_test`, which does too.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Development mode only when asked for: a deployment that forgets it stays safe. Even on, no page
# shows Django's technical error pages (backoffice/error_pages.py).
DEBUG = env.bool("DEBUG", default=False)
# Outside development the secret key has no default: a missing one stops the app.
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-secret-key") if DEBUG else env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "backoffice.admin_apps.BackofficeAdminConfig",  # django.contrib.admin, administrators only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "backoffice",
    "orders",
    "payments",
    "finance",
    "devtools",
    "django_tasks",
    "django_tasks_db",
    "hooks",
    "customer_mail",
]

MIDDLEWARE = [
    "backoffice.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "backoffice.middleware.BadInputMiddleware",  # NUL, lone surrogates, oversized bodies
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware: the page's language (backoffice/locale.py).
    "backoffice.locale.StaffLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # LANGUAGES, each named in itself, for the header's language switcher.
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backoffice.context_processors.staff_accounts",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Persistent connections, checked before reuse: opening one costs 7-10 ms on every request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read replica for reads that may lag (lists, search, finance); see backoffice/db_router.py.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["backoffice.db_router.ReplicaRouter"]
# Off behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode
# before 1.21).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
# PostgreSQL's JIT compiler off in the app's sessions: it compiles every query estimated costly, at
# 0.3-0.9 s a time, which for these queries (index reads, a month's CSV: measured 0.9 s of JIT in a
# 1.5 s export at a million orders) costs more than it ever saves. No parallel workers either: at
# ten million orders PostgreSQL overestimates the lines of a page's 25 orders (642 for 64) and
# starts a worker to read them, 4 ms for 0.2 ms of work (the API's list 22 -> 17 ms); a month's
# CSV streams as fast without them.
for _database in DATABASES.values():
    if "postgresql" in _database["ENGINE"]:
        _options = _database.setdefault("OPTIONS", {})
        _options["options"] = (
            f"{_options.get('options', '')} -c jit=off -c max_parallel_workers_per_gather=0".strip()
        )
        # Parameters bound on the server, nothing prepared but inside statements_prepared()
        # (backoffice/prepared.py: which statements, and why not all).
        if DATABASE_PREPARED_STATEMENTS:
            _options["server_side_binding"] = True
            _options["prepare_threshold"] = None
# Django's database sessions, read by a prepared statement (backoffice/sessions.py).
SESSION_ENGINE = "backoffice.sessions"
# Shared by every app server: in the database unless CACHE_URL names Redis or memcached.
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://django_cache")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "backoffice.auth_backends.RoleBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# Staff sign-in (/login/ and /admin/login/) is locked after LOGIN_FAILURE_LIMIT failures within
# LOGIN_LOCKOUT_MINUTES, for that username from any address and for that address whatever the
# username. The attempts are rows in the database, so every app server sees the same lock; an
# administrator unlocks in the admin (Login lock-outs), an operator with `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success does not clear the count: it would also clear what others tried from that address.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "backoffice.views.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "backoffice.client_address.client_address"
# Successful sign-ins are not logged (User.last_login has them); lock-outs have their own admin.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False

# The staff pages speak Norwegian Bokmål or English: the user's choice (the header's switcher, kept
# in the language cookie for a year), else the browser's Accept-Language, else Norwegian. The API
# always speaks English (backoffice/locale.py). Money keeps DISPLAY_LOCALE (398,00 kr) in both.
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", "Norsk bokmål"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
# Dates and times in one format per language, 24-hour clock in both (backoffice/formats/).
FORMAT_MODULE_PATH = ["backoffice.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Oslo")
USE_I18N = True
USE_TZ = True
# Locale used for money and number formatting in the staff pages.
DISPLAY_LOCALE = env.str("DISPLAY_LOCALE", default="nb_NO")

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["backoffice.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["backoffice.api.permissions.HasShoppingScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["backoffice.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "backoffice.api.errors.exception_handler",
    # Counted atomically in the shared cache or the database: backoffice/rate_limit.py.
    "DEFAULT_THROTTLE_RATES": {"token": env.str("TOKEN_RATE_LIMIT", default="30/min")},
    # Proxies in front of the app whose X-Forwarded-For may be trusted for rate limits.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": None,
    # A list's errors keyed by item index (DRF 3.20's format): backoffice/api/errors.py paths them.
    "LIST_SERIALIZER_ERRORS_AS_DICT": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Order back-office API",
    "DESCRIPTION": "Dintero-compatible Orders API: drafts, orders and recorded payment operations.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The token endpoint's client credentials; bearer auth comes from backoffice/api/schema.py.
    "APPEND_COMPONENTS": {"securitySchemes": {"basicAuth": {"type": "http", "scheme": "basic"}}},
}

# Lifetime of API access tokens, in seconds.
API_TOKEN_TTL = env.int("API_TOKEN_TTL", default=3600)
# The largest request body, in bytes (API and pages); a larger one answers 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)

# Payment provider: "dintero" or "sandbox"; unset, Dintero Checkout when these are set, else the
# built-in sandbox where PAYMENTS_SANDBOX allows it (by default only with DEBUG on: it takes no
# real money, and anyone with a link can pay).
PAYMENTS_PROVIDER = env.str("PAYMENTS_PROVIDER", default="")
PAYMENTS_SANDBOX = env.bool("PAYMENTS_SANDBOX", default=DEBUG)
DINTERO_ACCOUNT_ID = env.str("DINTERO_ACCOUNT_ID", default="")
DINTERO_CLIENT_ID = env.str("DINTERO_CLIENT_ID", default="")
DINTERO_CLIENT_SECRET = env.str("DINTERO_CLIENT_SECRET", default="")
DINTERO_PROFILE_ID = env.str("DINTERO_PROFILE_ID", default="default")
DINTERO_API_URL = env.str("DINTERO_API_URL", default="https://api.dintero.com/v1")
DINTERO_CHECKOUT_URL = env.str("DINTERO_CHECKOUT_URL", default="https://checkout.dintero.com/v1")
DINTERO_CONNECT_TIMEOUT = env.float("DINTERO_CONNECT_TIMEOUT", default=5.0)
DINTERO_READ_TIMEOUT = env.float("DINTERO_READ_TIMEOUT", default=20.0)
# This deployment's public address (scheme, host and port): a token's audience must be
# {PUBLIC_URL}/v1/accounts/{aid}, and payment links, callbacks and return URLs are built from it,
# never from a request's Host header. PAYMENTS_PUBLIC_URL is its older name.
_public_url_set = "PUBLIC_URL" in env or "PAYMENTS_PUBLIC_URL" in env
PUBLIC_URL = env.str("PUBLIC_URL", default=env.str("PAYMENTS_PUBLIC_URL", default="http://127.0.0.1:8000"))
PUBLIC_URL = PUBLIC_URL.rstrip("/")
PAYMENTS_PUBLIC_URL = PUBLIC_URL
# Development only (DEBUG on and no PUBLIC_URL set): the token endpoint also takes the address it
# was reached at as the audience (its host still checked against ALLOWED_HOSTS), so a server on
# any port answers the documented token request.
PUBLIC_URL_FROM_REQUEST = DEBUG and not _public_url_set

# The background worker (`python manage.py worker`): Django's Tasks framework (the django-tasks
# backport) with its database backend, so tasks are rows in this database, written in the same
# transaction as the change that needs them. Periodic tasks: WORKER_SCHEDULE (backoffice/worker.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "hooks", "mail"]}}
# Authorizations neither captured nor cancelled for this many days are listed as getting old (the
# work queues and the books check; a page's `?days=` overrides it).
STALE_AUTHORIZATION_DAYS = env.int("STALE_AUTHORIZATION_DAYS", default=7)
# Reconciliation with the payment provider, every so many seconds (0: only from cron or by hand).
RECONCILE_EVERY_SECONDS = env.int("RECONCILE_EVERY_SECONDS", default=300)
# Webhooks (hooks/): the first retry waits HOOKS_RETRY_BASE_SECONDS, each later one longer; every
# request times out after HOOKS_TIMEOUT_SECONDS; loopback and private addresses only when allowed.
HOOKS_RETRY_BASE_SECONDS = env.float("HOOKS_RETRY_BASE_SECONDS", default=30.0)
HOOKS_TIMEOUT_SECONDS = env.float("HOOKS_TIMEOUT_SECONDS", default=15.0)
HOOKS_ALLOW_PRIVATE_NETWORKS = env.bool("HOOKS_ALLOW_PRIVATE_NETWORKS", default=False)
# How often a worker looks for deliveries a crashed worker left behind.
HOOKS_SWEEP_SECONDS = env.int("HOOKS_SWEEP_SECONDS", default=30)
# E-mail to customers (customer_mail/), sent by the background worker with Django's mail
# framework: printed to the console in development, through SMTP from these settings otherwise.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# Seconds each exchange with the mail server may take; a claimed e-mail is held four times that.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Order back-office <orders@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# Where customers' answers go (empty: to the sender).
CUSTOMER_MAIL_REPLY_TO = env.list("CUSTOMER_MAIL_REPLY_TO", default=[])
# The language of customers whose order says none (customer_mail/language.py): nb or en.
CUSTOMER_MAIL_DEFAULT_LANGUAGE = env.str("CUSTOMER_MAIL_DEFAULT_LANGUAGE", default="nb")
# A failed send is tried again after this many seconds, each later time twice as long; the
# sweep looks for lost tasks and stopped sends this often.
CUSTOMER_MAIL_RETRY_BASE_SECONDS = env.float("CUSTOMER_MAIL_RETRY_BASE_SECONDS", default=60.0)
CUSTOMER_MAIL_SWEEP_SECONDS = env.int("CUSTOMER_MAIL_SWEEP_SECONDS", default=30)
WORKER_SCHEDULE = {
    "reconcile": ("payments.tasks.reconcile_scheduled", RECONCILE_EVERY_SECONDS),
    "hooks-sweep": ("hooks.tasks.deliveries_sweep", HOOKS_SWEEP_SECONDS),
    "mail-sweep": ("customer_mail.tasks.emails_sweep", CUSTOMER_MAIL_SWEEP_SECONDS),
}

# Content-Security-Policy (django-csp): scripts and styles from this origin, inline ones only
# with the response's nonce; no plug-ins, no framing, forms post only here. The API docs pages
# widen it for what Swagger UI and Redoc need (backoffice/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Failed sign-ins and lock-outs are warnings; every successful one would be noise.
    "loggers": {"axes": {"level": "WARNING"}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
