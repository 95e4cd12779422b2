"""Writes for accounts: SMS codes, registration, login tokens, WebSocket tickets, real-name data."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables
from rest_framework.authtoken.models import Token

from accounts.authentication import BEARER_IDENTITY_SECONDS, bearer_identities_enabled, bearer_identity_key
from accounts.identity import (
    InvalidIdNumber,
    id_number_digest,
    id_number_encrypt,
    id_number_mask,
    id_number_parse,
)
from accounts.models import RealName, SmsCode, User, WsTicket
from accounts.sms import get_backend
from config.exceptions import Conflict, DomainError


def _digest(namespace: str, value: str) -> str:
    return salted_hmac(namespace, value).hexdigest()


def sms_code_send(*, phone: str, purpose: str = "register") -> SmsCode:
    """Create a code and send it. At most one code per phone per resend interval; the
    phone's recent rows are locked so two simultaneous requests send one SMS."""
    now = timezone.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        recent = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, created_at__gt=now - timedelta(seconds=settings.SMS_CODE_RESEND_SECONDS))
            .exists()
        )
        if recent:
            raise DomainError("sms_too_frequent", "验证码发送过于频繁，请稍后再试",
                              fields={"phone": ["请 60 秒后再获取验证码"]}, status_code=429)
        row = SmsCode.objects.create(
            phone=phone, purpose=purpose, code_hash=_digest("sms", f"{phone}:{code}"),
            created_at=now, expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
        )
        text = f"【社工义工平台】您的验证码是 {code}，{settings.SMS_CODE_TTL_SECONDS // 60} 分钟内有效。"
        # Sent after commit: a rolled-back row must not leave a code in someone's phone.
        transaction.on_commit(lambda: get_backend().send(phone=phone, text=text))
    return row


def _sms_code_use(*, phone: str, code: str) -> str | None:
    """Use up the phone's newest live code if ``code`` matches it; otherwise count the
    wrong guess. Returns None on success or the reason for failure, and never raises, so
    the caller's transaction commits the attempt counter either way."""
    now = timezone.now()
    row = (
        SmsCode.objects.select_for_update()
        .filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
        .order_by("-created_at")
        .first()
    )
    if row is None:
        return "验证码已失效，请重新获取"
    if row.attempts >= settings.SMS_CODE_MAX_ATTEMPTS:
        return "验证码错误次数过多，请重新获取"
    if not hmac.compare_digest(row.code_hash, _digest("sms", f"{phone}:{code}")):
        row.attempts += 1
        row.save(update_fields=["attempts"])
        return "验证码错误"
    row.used_at = now
    row.save(update_fields=["used_at"])
    return None


def user_register(*, phone: str, password: str, name: str, sms_code: str) -> User:
    """Register a resident with a verified phone.

    Cheap checks come first so that a code is only used up by a registration that can
    succeed; the code check commits on its own so wrong guesses always count."""
    try:
        validate_password(password, User(phone=phone, name=name))
    except DjangoValidationError as exc:
        raise DomainError("invalid", exc.messages[0], fields={"password": exc.messages}) from None
    taken = Conflict("phone_taken", "该手机号已注册", fields={"phone": ["该手机号已注册"]})
    if User.objects.filter(phone=phone).exists():
        raise taken
    with transaction.atomic():
        failure = _sms_code_use(phone=phone, code=sms_code)
    if failure:
        raise DomainError("sms_code_invalid", failure, fields={"sms_code": [failure]})
    try:
        with transaction.atomic():
            user = User.objects.create_user(phone=phone, password=password, name=name)
            user_assign_volunteer_number(user=user)
    except IntegrityError:
        raise taken from None
    return user


def user_assign_volunteer_number(*, user: User) -> User:
    """The public identifier on records and certificates (never the ID number)."""
    user.volunteer_number = f"4109{user.id:08d}"
    user.save(update_fields=["volunteer_number"])
    return user


def user_login(*, request: HttpRequest, phone: str, password: str) -> tuple[User, str]:
    """Start a browser session and return the API token (created on first login).

    Failed attempts are counted per phone number in the cache (Redis in full mode, so
    shared by all web workers); past ``LOGIN_MAX_FAILURES`` within the window the phone
    is refused until the window ends, whatever the password: guessing stops paying."""
    failures_key = f"login-failures:{phone}"
    if (cache.get(failures_key) or 0) >= settings.LOGIN_MAX_FAILURES:
        raise DomainError("too_many_attempts", "密码错误次数过多，请 15 分钟后再试", status_code=429)
    user = authenticate(request, phone=phone, password=password)
    if user is None:
        cache.add(failures_key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        try:
            cache.incr(failures_key)
        except ValueError:  # expired between add and incr
            cache.set(failures_key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        raise DomainError("invalid_credentials", "手机号或密码错误", status_code=400)
    cache.delete(failures_key)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    token, _ = Token.objects.get_or_create(user=user)
    token_identity_publish(token_key=token.key, user=user)
    return user, token.key


def _token_identity(token_key: str) -> tuple | None:
    row = (Token.objects.filter(key=token_key, user__is_active=True)
           .values_list("user_id", "user__staff_role", "user__region_id").first())
    return tuple(row) if row else None


def token_identity_publish(*, token_key: str, user: User, only_if_absent: bool = False) -> None:
    """After commit, publish who a token belongs to — (user id, staff role, region
    code) — for the dashboard's ASGI fast path (``dashboard.fastpath``), which answers
    cached figures without Django. ``user`` must come from a database read made in this
    request (login's authenticate, or DRF's token lookup).

    The value is written first and the database read again afterwards: a revocation
    (logout, token deleted, role/region/active changed: ``accounts.signals``) that
    committed before that read is seen and the key deleted here; one that commits after
    it deletes the key after our write. Either way no revoked identity stays."""
    if not bearer_identities_enabled():
        return
    identity = (user.pk, user.staff_role, user.region_id)

    def publish():
        key = bearer_identity_key(token_key)
        if only_if_absent:
            if not cache.add(key, identity, BEARER_IDENTITY_SECONDS):
                return
        else:
            cache.set(key, identity, BEARER_IDENTITY_SECONDS)
        if _token_identity(token_key) != identity:
            cache.delete(key)

    transaction.on_commit(publish)


def token_identity_revoke(*, token_keys: list[str]) -> None:
    """After commit, forget the published identities of these tokens: the fast path
    then refuses them at once and Django decides (401/403, or republishes)."""
    if not bearer_identities_enabled() or not token_keys:
        return
    keys = [bearer_identity_key(k) for k in token_keys]
    transaction.on_commit(lambda: cache.delete_many(keys))


def user_logout(*, request: HttpRequest) -> None:
    """Ends the browser session and revokes the token used for this request, if any."""
    user = request.user
    if user.is_authenticated and isinstance(getattr(request, "auth", None), Token):
        Token.objects.filter(user=user).delete()
    logout(request)


def ws_ticket_create(*, user: User) -> str:
    key = secrets.token_urlsafe(32)
    WsTicket.objects.create(
        key_hash=_digest("ws-ticket", key), user=user,
        expires_at=timezone.now() + timedelta(seconds=settings.WS_TICKET_TTL_SECONDS),
    )
    return key


def ws_ticket_consume(*, key: str) -> User | None:
    """One use per ticket: the compare-and-set on ``used_at`` lets exactly one caller win."""
    if not key or not isinstance(key, str) or len(key) > 200:
        return None
    now = timezone.now()
    digest = _digest("ws-ticket", key)
    used = WsTicket.objects.filter(key_hash=digest, used_at__isnull=True,
                                   expires_at__gt=now).update(used_at=now)
    if used != 1:
        return None
    ticket = WsTicket.objects.select_related("user").get(key_hash=digest)
    return ticket.user if ticket.user.is_active else None


def expired_credentials_delete() -> int:
    """Housekeeping: drop SMS codes and tickets that can no longer be used."""
    cutoff = timezone.now() - timedelta(days=1)
    n1, _ = SmsCode.objects.filter(expires_at__lt=cutoff).delete()
    n2, _ = WsTicket.objects.filter(expires_at__lt=cutoff).delete()
    return n1 + n2


@sensitive_variables("id_number", "parsed")
def real_name_verify(*, user: User, name: str, id_number: str) -> RealName:
    """Record the user's name and resident ID number (once per account; one account per
    number). The number is validated (GB 11643 check character and birth date), then only
    its ciphertext, keyed digest and masked form are stored.

    Locks the user's row (the first lock of every sign-up too, see projects.services), so
    two submissions by one account cannot both pass the "already verified" check; two
    accounts racing for one number are settled by the unique digest. Never put the number
    into an exception, a log line or a notification."""
    try:
        parsed = id_number_parse(id_number, today=timezone.localdate())
    except InvalidIdNumber as exc:
        raise DomainError("invalid_id_number", str(exc), fields={"id_number": [str(exc)]}) from None
    digest = id_number_digest(parsed.number)
    taken = Conflict("id_number_taken", "该身份证号码已被其他账号实名认证",
                     fields={"id_number": ["该身份证号码已被其他账号使用"]})
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(id=user.id).exists()
            if RealName.objects.filter(user_id=user.id).exists():
                raise Conflict("real_name_already_verified", "您已完成实名认证，如需更正请联系平台")
            if RealName.objects.filter(id_number_digest=digest).exists():
                raise taken
            return RealName.objects.create(
                user=user, name=name, id_number_encrypted=id_number_encrypt(parsed.number, owner_id=user.id),
                id_number_digest=digest, id_number_masked=id_number_mask(parsed.number),
                birth_date=parsed.birth_date, verified_at=timezone.now())
    except IntegrityError:
        raise taken from None
