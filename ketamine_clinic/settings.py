"""Settings for ketamine-clinic, driven by a few environment variables.

DATABASE_URL              database (default: SQLite file in the data dir)
KETAMINE_CLINIC_DATA_DIR  where the SQLite file, the secret key and static files live (./var)
SECRET_KEY                generated and kept in the data dir on first run if unset
KETAMINE_CLINIC_CHAIN_KEY the key of the ledger's and audit trail's keyed chains (likewise)
ALLOWED_HOSTS             comma-separated (default: localhost names)
DEBUG                     off by default
KETAMINE_CLINIC_IDLE_TIMEOUT_MINUTES  idle session timeout (15)
KETAMINE_CLINIC_SECURE_COOKIES        send cookies over HTTPS only (on)
KETAMINE_CLINIC_TRUSTED_PROXIES       comma-separated addresses or networks of the reverse
                                      proxies whose X-Forwarded-For/-Proto are believed (none)
KETAMINE_CLINIC_SSL_REDIRECT          redirect plain HTTP to HTTPS (on when cookies are Secure)
KETAMINE_CLINIC_HSTS_SUBDOMAINS       HSTS includeSubDomains (on)
KETAMINE_CLINIC_HSTS_PRELOAD          HSTS preload (on); both are choices for the whole domain:
                                      whoever owns it may switch them off
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext

# Lets typed generics such as ModelForm[Patient] work at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DATA_DIR = Path(os.environ.get("KETAMINE_CLINIC_DATA_DIR") or BASE_DIR / "var").resolve()
if not DATA_DIR.exists():
    # Readable by the service's own user only: it holds the database, the secret key, backups.
    DATA_DIR.mkdir(parents=True, mode=0o700)


def _secret_key() -> str:
    """Return SECRET_KEY from the environment, or the one kept in the data dir."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()


def _chain_key() -> bytes:
    """Return the key of the ledger's and the audit trail's keyed chains (KETAMINE_CLINIC_CHAIN_KEY,
    else generated on first run into the data dir, 0600): kept outside the database, so that
    whoever can write the database cannot recompute a chain. Back it up apart from the data."""
    if os.environ.get("KETAMINE_CLINIC_CHAIN_KEY"):
        return os.environ["KETAMINE_CLINIC_CHAIN_KEY"].encode()
    path = DATA_DIR / "chain_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


CHAIN_KEY = _chain_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ninja",
    "ketamine_clinic.accounts",
    "ketamine_clinic.audit",
    "ketamine_clinic.patients",
    "ketamine_clinic.measures",
    "ketamine_clinic.screening",
    "ketamine_clinic.inventory",
    "ketamine_clinic.pk",
    "ketamine_clinic.plans",
    "ketamine_clinic.treatments",
    "ketamine_clinic.web",
]

MIDDLEWARE = [
    "ketamine_clinic.web.middleware.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "ketamine_clinic.web.middleware.NoStoreMiddleware",
    "ketamine_clinic.web.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ketamine_clinic.audit.context.AuditContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ketamine_clinic.api.openapi.CleanTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ketamine_clinic.web.middleware.ClinicTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "ketamine_clinic.accounts.middleware.RequireTwoFactorMiddleware",
]

ROOT_URLCONF = "ketamine_clinic.urls"
WSGI_APPLICATION = "ketamine_clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ketamine_clinic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ketamine_clinic.web.context_processors.clinic_shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'ketamine-clinic.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL with synchronous=FULL: a committed write survives a crash (SECURITY.md, lost data).
    # Connections are kept (CONN_MAX_AGE above): opening one runs these pragmas, and closing the
    # last one checkpoints the WAL into the database file, which cost more than most requests.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.StaffMember"

AUTHENTICATION_BACKENDS = [
    "allauth.account.auth_backends.AuthenticationBackend",
]

PASSWORD_HASHERS = [
    "ketamine_clinic.accounts.hashers.Argon2idOwaspHasher",  # why: its docstring
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- login, two-factor, sessions -------------------------------------------------------------
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "ketamine_clinic.accounts.adapter.ClinicAccountAdapter"
ACCOUNT_FORMS = {"login": "ketamine_clinic.accounts.forms.LoginForm"}
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
# Failed logins: 10 a minute per IP and 5 per 5 minutes per username (allauth's buckets).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/300s/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ketamine-clinic"
MFA_RECOVERY_CODE_COUNT = 10
# Staff must enrol TOTP before they reach anything else (RequireTwoFactorMiddleware).
KETAMINE_CLINIC_REQUIRE_MFA = True
KETAMINE_CLINIC_DEMO = False

IDLE_TIMEOUT_MINUTES = env_int("KETAMINE_CLINIC_IDLE_TIMEOUT_MINUTES", 15)
# Idle timeout: the session cookie lives IDLE_TIMEOUT_MINUTES after the last request.
SESSION_COOKIE_AGE = IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = env_bool("KETAMINE_CLINIC_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Reverse proxies whose X-Forwarded-For/-Proto are believed (none by default): they decide the
# client address of audit rows and rate limits (audit.context.client_ip) and whether a request
# came over HTTPS. Headers from any other peer are dropped (web.middleware).
TRUSTED_PROXIES = [
    p.strip() for p in os.environ.get("KETAMINE_CLINIC_TRUSTED_PROXIES", "").split(",") if p.strip()
]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if SECURE_COOKIES and not DEBUG:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = env_bool("KETAMINE_CLINIC_SSL_REDIRECT", True)
    # /healthz answers plain HTTP too, for a load balancer's check on the private side.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KETAMINE_CLINIC_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("KETAMINE_CLINIC_HSTS_PRELOAD", True)
# An operator who switches one of these off has decided so: `check --deploy` need not remind them.
SILENCED_SYSTEM_CHECKS = [
    check
    for check, chosen in (
        ("security.W005", globals().get("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)),
        ("security.W021", globals().get("SECURE_HSTS_PRELOAD", True)),
        ("security.W008", globals().get("SECURE_SSL_REDIRECT", True)),
    )
    if not chosen
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# Content-Security-Policy: every asset comes from this app; no inline script, no CDN.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

# --- static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ketamine-clinic@localhost")

# A database cache: login rate limits hold across every app server and worker process.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "kc_cache",
    }
}

# Measurement-based care.
SELF_REPORT_LINK_HOURS = env_int("KETAMINE_CLINIC_SELF_REPORT_LINK_HOURS", 72)  # issue #3
# Requests a minute that one address may make to self-report pages (link guessing).
SELF_REPORT_RATE_PER_MINUTE = env_int("KETAMINE_CLINIC_SELF_REPORT_RATE_PER_MINUTE", 30)
# The 988 Suicide & Crisis Lifeline (US, call or text 988; 988lifeline.org) and 911. A clinic
# outside the US must set its own text (MeasuresSettings.crisis_resources).
DEFAULT_CRISIS_RESOURCES = (
    "If you are thinking about harming yourself, or you are in crisis, call or text 988 "
    "(the 988 Suicide & Crisis Lifeline, US) at any time. In an emergency, call 911. "
    "Your answers have been sent to your care team at the clinic."
)

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

MFA_ADAPTER = "ketamine_clinic.accounts.adapter.ClinicMFAAdapter"
