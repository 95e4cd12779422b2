from rest_framework.authentication import TokenAuthentication


class BearerTokenAuthentication(TokenAuthentication):
    """``Authorization: Bearer <token>`` as the API contract states (DRF says "Token")."""

    keyword = "Bearer"
