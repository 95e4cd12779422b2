"""``platform/`` is a source root, not a package: the stdlib module must stay reachable."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_stdlib_platform_and_uuid_work_inside_the_django_process():
    import platform
    import uuid

    import django
    from django.conf import settings

    assert settings.configured and django.VERSION[:2] == (5, 2)
    assert platform.system()  # the stdlib function, not a namespace package
    assert uuid.uuid4().version == 4


def test_manage_py_process_imports_stdlib_platform_and_uuid():
    code = (
        "import django, platform, uuid; django.setup(); "
        "print(platform.system(), uuid.uuid4().version)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path[:0]=['platform', '.']; {code}"],
        cwd=REPO, capture_output=True, text=True, env={"DJANGO_SETTINGS_MODULE": "config.settings",
                                                       "PATH": "/usr/bin:/bin"}, check=False,
    )
    assert result.returncode == 0, result.stderr
    system, version = result.stdout.split()
    assert system and version == "4"
    assert not (REPO / "platform" / "__init__.py").exists()
