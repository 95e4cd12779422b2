from django.urls import path

from evaluation.api import evaluations, rounds

urlpatterns = [
    path("evaluations/", evaluations.EvaluationListApi.as_view(), name="evaluations"),
    path("evaluations/<int:pk>/", evaluations.EvaluationDetailApi.as_view(), name="evaluation"),
    path("evaluations/<int:pk>/compute/", evaluations.EvaluationComputeApi.as_view(), name="evaluation-compute"),
    path("evaluations/<int:pk>/self-assessment/", evaluations.SelfAssessmentApi.as_view(),
         name="evaluation-self-assessment"),
    path("evaluations/<int:pk>/evidence/", evaluations.EvidenceUploadApi.as_view(), name="evaluation-evidence"),
    path("evaluations/<int:pk>/expert-scores/", evaluations.ExpertScoresApi.as_view(),
         name="evaluation-expert-scores"),
    path("evaluations/<int:pk>/appeals/", evaluations.AppealCreateApi.as_view(), name="evaluation-appeals"),
    path("evaluation-evidence/<int:pk>/", evaluations.EvidenceDownloadApi.as_view(), name="evaluation-evidence-file"),
    path("evaluation-templates/", rounds.TemplateListApi.as_view(), name="evaluation-templates"),
    path("evaluation-templates/<int:pk>/", rounds.TemplateDetailApi.as_view(), name="evaluation-template"),
    path("evaluation-rounds/", rounds.RoundListApi.as_view(), name="evaluation-rounds"),
    path("evaluation-rounds/<int:pk>/", rounds.RoundDetailApi.as_view(), name="evaluation-round"),
    path("evaluation-rounds/<int:pk>/eligibility/", rounds.RoundEligibilityApi.as_view(),
         name="evaluation-round-eligibility"),
    path("evaluation-rounds/<int:pk>/compute/", rounds.RoundComputeApi.as_view(), name="evaluation-round-compute"),
    path("evaluation-rounds/<int:pk>/assignments/", rounds.RoundAssignmentsApi.as_view(),
         name="evaluation-round-assignments"),
    path("evaluation-rounds/<int:pk>/committee/", rounds.RoundCommitteeApi.as_view(),
         name="evaluation-round-committee"),
    path("evaluation-rounds/<int:pk>/publish/", rounds.RoundPublishApi.as_view(), name="evaluation-round-publish"),
    path("evaluation-rounds/<int:pk>/appeals/", rounds.RoundAppealsApi.as_view(), name="evaluation-round-appeals"),
    path("evaluation-appeals/<int:pk>/review/", rounds.AppealReviewApi.as_view(), name="evaluation-appeal-review"),
    path("evaluation-experts/", rounds.ExpertListApi.as_view(), name="evaluation-experts"),
    path("evaluation-sanctions/", rounds.SanctionListApi.as_view(), name="evaluation-sanctions"),
    path("grades/", evaluations.GradeListApi.as_view(), name="grades"),
]
