"""Revocation of published token identities (``accounts.services.token_identity_*``)
whatever deletes a token or changes what the dashboard's fast path relies on: logout,
the admin, a cascade from a deleted user, a role or region change, deactivation."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from accounts.authentication import bearer_identities_enabled
from accounts.models import User

# What the fast path's permission decision reads from the identity.
IDENTITY_FIELDS = {"staff_role", "region", "region_id", "is_active"}


@receiver(post_delete, sender=Token, dispatch_uid="accounts-token-identity-revoke")
def _token_deleted(sender, instance: Token, **kwargs) -> None:
    from accounts.services import token_identity_revoke

    token_identity_revoke(token_keys=[instance.key])


@receiver(post_save, sender=User, dispatch_uid="accounts-user-identity-revoke")
def _user_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:
    if created or not bearer_identities_enabled():
        return
    if update_fields is not None and not IDENTITY_FIELDS & set(update_fields):
        return  # e.g. last_login at every login
    from accounts.services import token_identity_revoke

    token_identity_revoke(token_keys=list(Token.objects.filter(user_id=instance.pk).values_list("key", flat=True)))
