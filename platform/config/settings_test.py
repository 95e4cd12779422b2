"""Test settings: the production settings with test doubles chosen through the environment."""

import os

os.environ.setdefault("SMS_BACKEND", "accounts.sms.LocmemBackend")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("CELERY_EMBEDDED_WORKER", "0")
os.environ.setdefault("FAST_PASSWORD_HASHER", "1")
os.environ.setdefault("SMS_THROTTLE", "1000/minute")

from config.settings import *  # noqa: F403
