from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号与行政区划"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401  (connects the receivers)
