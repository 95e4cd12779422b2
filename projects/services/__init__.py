"""Writes for projects, shifts, sign-ups, invitations and attendance, one module per
sub-domain (``projects``, ``shifts``, ``signups``, ``invitations``, ``attendance``,
``reminders``; ``shared`` holds what they share). Import from the module itself,
e.g. ``from projects.services.signups import signup_create``: nothing is re-exported.

Locking: to avoid deadlocks the lock order is always the volunteer's user row, then the
shift row, then the sign-up rows it touches. The user lock serialises one volunteer's
sign-ups (so two overlapping shifts cannot both be confirmed); the shift lock serialises
the seats. Promotion from a waitlist needs another volunteer's user row while holding a
shift: it takes it with SKIP LOCKED, never waiting, so it cannot close a cycle. A team
leader's bulk sign-up and an invitation to several volunteers lock all their user rows
in id order first, then the shift. On SQLite ``select_for_update`` is a no-op, but
transactions begin IMMEDIATE (settings), which serialises writers.

Work that is not about one volunteer enters the same order further down: a manager's
change to a shift (capacity, time, accept/decline takes the volunteer first) starts at
the shift; cancelling a whole project locks the project row, then its shifts in id
order, then their sign-ups. ``shared.lock_shift`` locks the shift row only (never its
project), so no path holds a shift while waiting for a project."""
