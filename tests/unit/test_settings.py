"""Production settings pass Django's deployment checks; full mode refuses a made-up key."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "DATABASE_URL": "postgres://platform@db.invalid:5432/platform",
    "SECRET_KEY": "a-real-production-secret-key-with-enough-length-and-variety-1234567890-XYZ",
    "REAL_NAME_KEY": "a-separate-key-for-resident-id-numbers-0123456789abcdef",
    "ALLOWED_HOSTS": "volunteer.example.gov.cn",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_COOKIES": "1",
}


def _manage(*args, env):
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION and not k.startswith("DJANGO")}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, capture_output=True, text=True,
                          env={**base, **env}, check=False)


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_full_mode_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_full_mode_refuses_to_start_without_a_real_name_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "REAL_NAME_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0 and "REAL_NAME_KEY" in result.stderr


def test_a_short_real_name_key_is_refused():
    result = _manage("check", env={**PRODUCTION, "REAL_NAME_KEY": "too-short"})
    assert result.returncode != 0 and "REAL_NAME_KEY" in result.stderr


def test_a_bad_boolean_in_the_environment_fails_loudly():
    result = _manage("check", env={"DEBUG": "maybe"})
    assert result.returncode != 0 and "DEBUG" in result.stderr
