import logging

from celery import shared_task

from accounts.services import expired_credentials_delete

logger = logging.getLogger(__name__)


@shared_task(name="accounts.expired_credentials_cleanup", ignore_result=True)
def expired_credentials_cleanup() -> int:
    deleted = expired_credentials_delete()
    logger.info("deleted %d expired codes and tickets", deleted)
    return deleted
