from rest_framework.permissions import IsAuthenticated


class ReadPublicly(IsAuthenticated):
    """Anyone may read the public registry; writing needs a login."""

    def has_permission(self, request, view):
        return request.method in ("GET", "HEAD", "OPTIONS") or super().has_permission(request, view)
