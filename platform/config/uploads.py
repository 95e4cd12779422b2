"""Uploaded files that follow the fate of the transaction that records them.

A ``FileField`` writes its file to storage when the row is saved, inside the service's
transaction; the database can roll that row back, the storage cannot. Services that
store uploads wrap their transaction in ``files_removed_on_failure`` and register each
stored file: if the block raises (a refusal after the file was written, a failed
INSERT, a failed COMMIT), the files are deleted, so no file is left without a row.

It must sit OUTSIDE ``transaction.atomic`` (``with files_removed_on_failure() as keep,
transaction.atomic():``) so that a failed commit is seen too, and the service must own
the outermost transaction: Django has no "on rollback" hook, so a file written inside
a caller's transaction that the caller later rolls back is not seen here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)


@contextmanager
def files_removed_on_failure() -> Iterator[Callable[[FieldFile], None]]:
    stored: list[FieldFile] = []
    try:
        yield stored.append
    except BaseException:
        for field_file in stored:
            try:
                field_file.storage.delete(field_file.name)
            except OSError:  # the original error matters more; the file is only litter
                logger.warning("could not remove the stored upload %s after a rollback", field_file.name)
        raise
