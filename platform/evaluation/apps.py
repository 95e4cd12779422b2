from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Organization evaluation (评估). Models arrive with the evaluation issue."""

    name = "evaluation"
    verbose_name = "社会组织评估"
