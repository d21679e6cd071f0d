"""The audit trail's keyed evidence: a MAC on every row, and seals over id ranges.

Every page view writes an audit row, so a chain with one head per clinic would make every
request of a clinic wait for the one before it. Instead:

- each row carries its own MAC (HMAC-SHA256 with the chain key, kept outside the database, over
  a random nonce and every fact of the row, the patients it names included), computed at insert
  with no lock: an edited row, or a row forged without the key, no longer gives its MAC;
- `seal()` (run by `ketamine-clinic audit verify --seal`, e.g. from cron) appends an AuditSeal
  over the rows since the last seal: the ids it holds and a digest of their MACs, keyed and
  chained to the seal before it. A sealed row that is deleted, or a row slipped in between, no
  longer matches its seal.

Rows written before the key existed have no MAC (they keep verifying, as legacy rows); a row
without a MAC after the first row with one is tampering (a MAC cannot be taken off).
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import AuditEvent, AuditEventPatient, AuditSeal

SEAL_GENESIS = "0" * 64
# A row is sealed once it is this old: a transaction still open when the seal is taken may yet
# commit a row of a lower id, which would then fall inside a sealed range.
SEAL_AFTER = timedelta(minutes=5)


def _ip(value: str | None) -> str | None:
    return AuditEvent._meta.get_field("ip").get_prep_value(value)  # type: ignore[no-any-return]


def content(event: AuditEvent, patients: Sequence[int]) -> str:
    """The row's facts as the exact text its MAC covers (sorted keys, no spaces)."""
    facts: dict[str, Any] = {
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor_id,
        "actor_username": event.actor_username,
        "role": event.role,
        "clinic": event.clinic_id,
        "organization": event.organization_id,
        "patient": event.patient_id,
        "patients": sorted(patients),
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "ip": _ip(event.ip),
        "channel": event.channel,
        "correlation_id": event.correlation_id,
        "changes": event.changes,
        "detail": event.detail,
    }
    return json.dumps(facts, sort_keys=True, separators=(",", ":"), default=str)


def _hmac(text: str) -> str:
    return hmac.new(settings.CHAIN_KEY, text.encode(), hashlib.sha256).hexdigest()


def row_mac(event: AuditEvent, patients: Sequence[int]) -> str:
    """Return a new MAC for a row about to be written: "nonce:HMAC"."""
    nonce = secrets.token_hex(8)
    return f"{nonce}:{_hmac(nonce + content(event, patients))}"


def mac_intact(event: AuditEvent, patients: Sequence[int]) -> bool:
    nonce, _, digest = event.mac.partition(":")
    return bool(digest) and hmac.compare_digest(digest, _hmac(nonce + content(event, patients)))


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    events: int
    sealed: int  # events under a seal
    seals: int
    first_bad_event: int | None
    reason: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "events": self.events,
            "sealed": self.sealed,
            "seals": self.seals,
            "first_bad_event": self.first_bad_event,
            "reason": self.reason,
        }


def _named() -> dict[int, list[int]]:
    named: dict[int, list[int]] = defaultdict(list)
    for event_id, patient_id in AuditEventPatient.objects.values_list("event_id", "patient_id"):
        named[event_id].append(patient_id)
    return named


def _runs(ids: Iterable[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for i in ids:
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs


def _ids(runs: Sequence[Sequence[int]]) -> Iterator[int]:
    for first, last in runs:
        yield from range(first, last + 1)


def _digest(rows: Iterable[tuple[int, str]]) -> str:
    digest = hashlib.sha256()
    for event_id, mac in rows:
        digest.update(f"{event_id}:{mac}\n".encode())
    return digest.hexdigest()


def _seal_mac(previous: str, first: int, last: int, runs: Any, events: int, digest: str) -> str:
    text = json.dumps(
        {"first": first, "last": last, "runs": runs, "events": events, "digest": digest},
        sort_keys=True,
        separators=(",", ":"),
    )
    return _hmac(previous + text)


def verify() -> AuditCheck:
    """Check every row's MAC and every seal; name the first bad event (the lowest id)."""
    named = _named()
    macs: dict[int, str] = {}
    bad: list[tuple[int, str]] = []
    keyed_seen = False
    nonces: set[str] = set()
    for event in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        macs[event.pk] = event.mac
        if not event.mac:
            if keyed_seen:
                bad.append((event.pk, "a row without its MAC after keyed rows"))
            continue
        keyed_seen = True
        nonce = event.mac.partition(":")[0]
        if nonce in nonces:
            bad.append((event.pk, "a copy of another row"))
        nonces.add(nonce)
        if not mac_intact(event, named.get(event.pk, [])):
            bad.append((event.pk, "the row no longer gives its MAC (edited or forged)"))
    ids = list(macs)  # in id order
    seals = list(AuditSeal.objects.order_by("first_event_id"))
    previous = SEAL_GENESIS
    sealed = 0
    after = 0
    for seal in seals:
        expected = _seal_mac(
            previous, seal.first_event_id, seal.last_event_id, seal.runs, seal.events, seal.digest
        )
        if seal.previous_mac != previous or not hmac.compare_digest(expected, seal.mac):
            bad.append((seal.first_event_id, "a seal was changed"))
        if seal.first_event_id <= after:
            bad.append((seal.first_event_id, "seals overlap"))
        after = seal.last_event_id
        previous = seal.mac
        wanted = list(_ids(seal.runs))
        present = ids[
            bisect.bisect_left(ids, seal.first_event_id) : bisect.bisect_right(
                ids, seal.last_event_id
            )
        ]
        sealed += len(wanted)
        missing = sorted(set(wanted) - set(present))
        extra = sorted(set(present) - set(wanted))
        if missing:
            bad.append((missing[0], "a sealed row was deleted"))
        if extra:
            bad.append((extra[0], "a row was slipped into a sealed range"))
        if not missing and not extra and _digest((i, macs[i]) for i in wanted) != seal.digest:
            bad.append((seal.first_event_id, "a sealed row's MAC was changed"))
    first = min(bad) if bad else None
    return AuditCheck(
        ok=not bad,
        events=len(macs),
        sealed=sealed,
        seals=len(seals),
        first_bad_event=first[0] if first else None,
        reason=first[1] if first else "",
    )


def seal(now: datetime | None = None, *, after: timedelta = SEAL_AFTER) -> AuditSeal | None:
    """Seal the rows since the last seal that are older than `after`; None if there are none."""
    with transaction.atomic():
        last = AuditSeal.objects.order_by("-first_event_id").select_for_update().first()
        start = last.last_event_id if last else 0
        cutoff = (now or timezone.now()) - after
        end = AuditEvent.objects.filter(pk__gt=start, occurred_at__lte=cutoff).aggregate(
            end=Max("pk")
        )["end"]
        if end is None:
            return None
        rows = list(
            AuditEvent.objects.filter(pk__gt=start, pk__lte=end)
            .order_by("pk")
            .values_list("pk", "mac")
        )
        runs = _runs(pk for pk, _ in rows)
        digest = _digest(rows)
        previous = last.mac if last else SEAL_GENESIS
        return AuditSeal.objects.create(
            first_event_id=start + 1,
            last_event_id=end,
            runs=runs,
            events=len(rows),
            digest=digest,
            previous_mac=previous,
            mac=_seal_mac(previous, start + 1, end, runs, len(rows), digest),
        )
