"""Settings for the 社工+义工 platform.

Everything that differs between a laptop and production comes from the environment
through the typed helpers in ``config.env``. Without ``REDIS_URL`` the platform runs in
embedded mode: SQLite, Channels' in-memory layer and Celery tasks executed inside the
web process (see ``config.embedded``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent  # platform/
REPO_DIR = BASE_DIR.parent
VAR_DIR = Path(env_str("VAR_DIR", str(REPO_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
REDIS_URL = env_str("REDIS_URL", "")
EMBEDDED = not REDIS_URL

# Embedded mode is a laptop demo; full mode is production and refuses a made-up key.
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not (EMBEDDED or DEBUG):
        raise RuntimeError("SECRET_KEY must be set when the platform runs in full mode")
    SECRET_KEY = "insecure-embedded-mode-key-never-use-in-production-0123456789"
# Encrypts resident ID numbers at rest and keys their lookup hash (accounts.identity).
# Separate from SECRET_KEY in production so that rotating one does not lose the other;
# changing it makes stored ID numbers unreadable. Embedded mode derives one.
REAL_NAME_KEY = env_str("REAL_NAME_KEY", "")
if not REAL_NAME_KEY:
    if not (EMBEDDED or DEBUG):
        raise RuntimeError("REAL_NAME_KEY must be set when the platform runs in full mode")
    REAL_NAME_KEY = hashlib.sha256(f"real-name-key:{SECRET_KEY}".encode()).hexdigest()
elif len(REAL_NAME_KEY) < 32:
    raise RuntimeError("REAL_NAME_KEY must be at least 32 characters long")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list(
    "CSRF_TRUSTED_ORIGINS", ["http://127.0.0.1:8000", "http://localhost:8000"]
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "django_celery_beat",
    "accounts",
    "organizations",
    "evaluation",
    "notifications",
    "projects",
    "volunteers",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool instead of persistent connections: under ASGI a request may run on any
    # thread, and Django's docs advise pooling rather than CONN_MAX_AGE there.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 20),
            "timeout": 10,
        }
    } if env_bool("DB_POOL", True) else {}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # SQLite serialises writers; wait for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if env_bool("FAST_PASSWORD_HASHER", False):
    # Tests and benchmarks create thousands of users; PBKDF2 would dominate them.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# --- i18n -----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files and the built frontend ----------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
FRONTEND_DIST = REPO_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"

# --- cache, channels, celery -----------------------------------------------------------
if EMBEDDED:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNELS_PREFIX", "asgi")},
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "default")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long Redis keeps a delivered but unacknowledged task before giving it to another
# worker: what a killed worker's task waits for (acks_late + reject_on_worker_lost).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
    # How often a worker looks for such tasks (seconds, and every Nth look scans Redis).
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
}
# Who reviews a project before it is published, by region code prefix (the longest
# matching prefix wins): "org_admin" (the organization's admin, the default) or "street"
# (street staff whose region contains the project's). E.g. {"410902": "street"}.
PROJECT_REVIEWERS: dict[str, str] = {}
# How far ahead the beat task generates the occurrences of weekly shift rules.
SHIFT_RULE_HORIZON_DAYS = 28
SHIFT_RULE_MAX_OCCURRENCES = 200

CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Embedded mode: tasks keep Celery's API but run on a thread of the web process.
CELERY_EMBEDDED_WORKER = env_bool("CELERY_EMBEDDED_WORKER", EMBEDDED)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE = {
    "service-records-sweep": {
        "task": "volunteers.service_records_sweep",
        "schedule": 300.0,
    },
    "service-records-finalize-due": {
        "task": "volunteers.service_records_finalize_due",
        "schedule": 600.0,
    },
    "organization-metrics-nightly": {
        "task": "volunteers.organization_metrics_nightly",
        "schedule": crontab(hour=2, minute=30),
    },
    "projects-no-shows": {"task": "projects.signups_mark_no_shows", "schedule": 900.0},
    "projects-reminders": {"task": "projects.shift_reminders_send", "schedule": 300.0},
    "projects-short-shifts": {"task": "projects.shifts_short_notify", "schedule": 900.0},
    "projects-shift-rules": {"task": "projects.shift_rules_generate", "schedule": 3600.0},
    "projects-needs-sync": {"task": "projects.needs_sync_projects", "schedule": 600.0},
    "evaluation-deadline-reminders": {"task": "evaluation.deadline_reminders_send",
                                      "schedule": crontab(hour=9, minute=0)},
    "evaluation-expiry-reminders": {"task": "evaluation.expiry_reminders_send", "schedule": crontab(hour=9, minute=10)},
    "auth-expired-cleanup": {
        "task": "accounts.expired_credentials_cleanup",
        "schedule": 3600.0,
    },
    # Dashboard rollups: records are applied as they become final (task per record);
    # these catch what a lost task missed and refresh the figures that move with sign-ups.
    "dashboard-rollup-sweep": {"task": "dashboard.rollup_sweep", "schedule": 600.0},
    "dashboard-schedule-refresh": {"task": "dashboard.schedule_refresh", "schedule": 600.0},
    "dashboard-volunteers-refresh": {"task": "dashboard.volunteers_refresh", "schedule": 900.0},
    "dashboard-live-recompute": {"task": "dashboard.live_recompute", "schedule": 300.0},
}

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"sms": env_str("SMS_THROTTLE", "30/hour")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "社工+义工 平台 API",
    "DESCRIPTION": "社区服务项目、志愿者报名签到、服务时长与社会组织评估。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files: bureau intranets often have no CDN access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "projects.models.ServiceProject.Status",
        "SignupStatusEnum": "projects.models.Signup.Status",
        "ServiceRecordStatusEnum": "volunteers.models.ServiceRecord.Status",
        "OrganizationStatusEnum": "organizations.models.Organization.Status",
        "ServiceDomainEnum": "organizations.models.Organization.Domain",
        "ProjectFundingEnum": "projects.models.ServiceProject.Funding",
        "OrganizationSourceEnum": "organizations.models.Organization.Source",
        "PartyBuildingEnum": "organizations.models.Organization.PartyBuilding",
        "FilingStatusEnum": "organizations.models.FilingApplication.Status",
        "BookingStatusEnum": "organizations.models.RoomBooking.Status",
        "ServiceRecordSourceEnum": "volunteers.models.ServiceRecord.Source",
        "RecordDisputeStatusEnum": "volunteers.models.RecordDispute.Status",
        "RecordDisputeKindEnum": "volunteers.models.RecordDispute.Kind",
        "EvaluationStatusEnum": "evaluation.models.Evaluation.Status",
        "EvaluationRoundStatusEnum": "evaluation.models.Round.Status",
        "EvaluationRoundScopeEnum": "evaluation.models.Round.Scope",
        "EvaluationTemplateKindEnum": "evaluation.models.TemplateKind",
        "EvaluationSanctionKindEnum": "evaluation.models.Sanction.Kind",
        "EvaluationGradeStatusEnum": "evaluation.models.Grade.Status",
        "EvaluationGradeSourceEnum": "evaluation.models.Grade.Source",
        "EvaluationAppealStatusEnum": "evaluation.models.Appeal.Status",
        "VenueKindEnum": "organizations.models.Venue.Kind",
        "FilingMemberKindEnum": ["individual", "unit"],
        "NeedStatusEnum": "projects.models.Need.Status",
        "NeedCategoryEnum": "projects.models.Need.Category",
        "NeedUrgencyEnum": "projects.models.Need.Urgency",
    },
}

# --- platform rules --------------------------------------------------------------------
SMS_BACKEND = env_str("SMS_BACKEND", "accounts.sms.ConsoleBackend")
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 10)
LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60
SMS_CODE_TTL_SECONDS = 300
SMS_CODE_RESEND_SECONDS = 60
SMS_CODE_MAX_ATTEMPTS = 5
WS_TICKET_TTL_SECONDS = 60
WS_AUTH_TIMEOUT_SECONDS = 10
CHECKIN_CODE_WINDOW_SECONDS = env_int("CHECKIN_CODE_WINDOW_SECONDS", 30)
# Check-in opens this long before a shift starts; check-out closes this long after it ends.
CHECKIN_OPENS_BEFORE_MINUTES = 60
CHECKOUT_CLOSES_AFTER_MINUTES = 240
VOLUNTEER_STAR_THRESHOLDS = [100, 300, 600, 1000, 1500]
# Public notice (公示) of approved hours in working days; 0: approval makes them final.
SERVICE_RECORD_NOTICE_WORKING_DAYS = env_int("SERVICE_RECORD_NOTICE_WORKING_DAYS", 0)
# A back-entry (补录) must be made within this many days after the shift ends.
BACK_ENTRY_WINDOW_DAYS = env_int("BACK_ENTRY_WINDOW_DAYS", 30)
BACK_ENTRY_EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
DEMO_PASSWORD = "demo12345"
# Under this age a guardian's consent record is needed before any sign-up (《未成年人保护法》,
# PIPL art. 31); minimum ages of projects are checked against the real-name birth date.
MINOR_CONSENT_AGE = env_int("MINOR_CONSENT_AGE", 14)

# --- security (production) --------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not EMBEDDED)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]  # container health checks speak plain HTTP
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "uvicorn.access": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},  # subsetting the CJK font of every PDF is chatty
    },
}
