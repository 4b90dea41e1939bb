"""Signed checkpoints of the audit chain, kept outside the database.

Whoever holds the application's database credentials can rewrite a row and recompute every
following hash and the chain head, or delete the newest rows and set the head back: the chain
alone then verifies. A checkpoint anchors the chain outside their reach: the last row's id and
hash, the number of rows, the time and the hash of the chain's first row (which identifies this
installation's trail, whatever its sub-districts), signed with HMAC-SHA256. One JSON line per
checkpoint is appended to AUDIT_CHECKPOINT_FILE (opened O_APPEND, fsync'ed) and mailed to the
ADMINS, every hour and after the nightly check; `audit_verify --checkpoints FILE` proves that
every checkpoint is still on the chain.

The key is never in the database: AUDIT_KEY if set, else SECRET_KEY (and SECRET_KEY_FALLBACKS
for checkpoints signed before a rotation), each turned into the signing key as
HMAC-SHA256(key=<that secret>, message=KEY_LABEL).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import mail_admins
from django.db import connection
from django.utils import timezone

from .audit import Anchor, ChainReport, read_snapshot, verify_chain
from .audit_guard import guard_problems
from .models import AuditEvent

logger = logging.getLogger(__name__)

KEY_LABEL = b"dangjian.audit-checkpoint.v1"
FIELDS = {"v": int, "at": str, "last_id": int, "hash": str, "count": int, "chain": str, "key": str}


class CheckpointError(Exception):
    """The checkpoint file cannot be read, or one of its lines is not a genuine checkpoint."""


def _keys() -> list[bytes]:
    secrets = (
        [settings.AUDIT_KEY]
        if getattr(settings, "AUDIT_KEY", "")
        else [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    )
    return [hmac.new(s.encode(), KEY_LABEL, hashlib.sha256).digest() for s in secrets if s]


def _key_id(key: bytes) -> str:
    return hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:16]


def _canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _sign(body: dict, key: bytes) -> str:
    return hmac.new(key, _canonical(body), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    line: int
    at: str
    last_id: int
    hash: str
    count: int

    def anchor(self) -> Anchor:
        return Anchor(
            self.last_id, self.hash, self.count, f"checkpoint line {self.line} ({self.at})"
        )


def parse_line(text: str, line: int, path: str) -> Checkpoint:
    """One line of the file as a checkpoint whose signature verifies, or CheckpointError."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or set(data) != {*FIELDS, "sig"}:
        raise CheckpointError(f"{path} line {line} is not a checkpoint")
    body = {k: data[k] for k in FIELDS}
    if any(type(body[k]) is not t for k, t in FIELDS.items()) or not isinstance(data["sig"], str):
        raise CheckpointError(f"{path} line {line} is not a checkpoint")
    if not any(hmac.compare_digest(data["sig"], _sign(body, key)) for key in _keys()):
        raise CheckpointError(
            f"{path} line {line} is forged: its signature does not verify with AUDIT_KEY "
            "(or SECRET_KEY)"
        )
    return Checkpoint(line, body["at"], body["last_id"], body["hash"], body["count"])


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CheckpointError(f"cannot read checkpoint file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"checkpoint file {path} is not UTF-8 text") from exc


def read_checkpoints(path: str) -> list[Checkpoint]:
    """Every checkpoint of the file; CheckpointError names the first line that is not genuine."""
    return [
        parse_line(text, n, path) for n, text in enumerate(_lines(path), start=1) if text.strip()
    ]


def last_checkpoint(path: str) -> Checkpoint | None:
    """The newest genuine checkpoint of the file (the nightly check reports the others)."""
    if not path or not os.path.exists(path):
        return None
    lines = _lines(path)
    for n in range(len(lines), 0, -1):
        if lines[n - 1].strip():
            try:
                return parse_line(lines[n - 1], n, path)
            except CheckpointError:
                continue
    return None


def checkpoint_line(report: ChainReport) -> str:
    """The signed line for the head a verification ended on (inside its snapshot)."""
    first = AuditEvent.objects.order_by("id").values_list("hash", flat=True).first()
    key = _keys()[0]
    body = {
        "v": 1,
        "at": timezone.localtime().isoformat(timespec="seconds"),
        "last_id": report.last_id,
        "hash": report.last_hash,
        "count": report.checked,
        "chain": first,
        "key": _key_id(key),
    }
    return json.dumps({**body, "sig": _sign(body, key)}, ensure_ascii=False, sort_keys=True)


def append_line(path: str, line: str) -> None:
    """Append one line: O_APPEND (never rewrites what is there), then fsync."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    message: str
    checked: int = 0
    checkpoints: int = 0
    line: str = ""


def _chain_failure(report: ChainReport) -> str:
    if report.checkpoint:
        return f"审计链与检查点不符 / audit chain does not match its checkpoints: {report.reason}"
    return (
        f"审计链断裂 / audit chain broken at row id={report.broken_id}: {report.reason} "
        f"({report.checked} rows verified before it)"
    )


def audit_check(
    *, checkpoints: str | None = None, write: bool = False, incremental: bool = False
) -> CheckResult:
    """Guards, chain and checkpoints, in one snapshot; then optionally sign a new checkpoint.

    checkpoints: a file whose every line must be genuine and still on the chain.
    write: append a checkpoint of the verified head to AUDIT_CHECKPOINT_FILE and mail it; the
    chain must still hold that file's newest checkpoint, or nothing is signed.
    incremental: walk only the rows after that newest checkpoint (the hourly schedule).
    """
    problems = guard_problems(connection)
    if problems:
        return CheckResult(
            False,
            "审计表不再只读 / the audit table is no longer append-only: " + "; ".join(problems),
        )
    try:
        anchors = [c.anchor() for c in read_checkpoints(checkpoints)] if checkpoints else []
        matched = len(anchors)
        target = getattr(settings, "AUDIT_CHECKPOINT_FILE", "") if write else ""
        newest = last_checkpoint(target) if target else None
    except CheckpointError as exc:
        return CheckResult(False, f"检查点无效 / invalid checkpoint: {exc}")
    start = newest.anchor() if newest and incremental else None
    if newest and not incremental:
        anchors.append(newest.anchor())
    with read_snapshot():
        report = verify_chain(anchors=anchors, start=start)
        if not report.ok:
            return CheckResult(False, _chain_failure(report), report.checked)
        line = checkpoint_line(report) if write and report.checked else ""
        if line and target:
            try:
                append_line(target, line)
            except OSError as exc:
                return CheckResult(
                    False,
                    f"审计检查点无法写入 / cannot write the audit checkpoint to {target}: "
                    f"{exc.strerror}",
                    report.checked,
                )
    summary = f"审计链完整 / audit chain intact: {report.checked} rows verified"
    if checkpoints:
        summary += f", {matched} checkpoints of {checkpoints} matched"
    if line:
        summary += f"; checkpoint written at row id={report.last_id}"
        try:
            mail_admins("审计检查点 / audit checkpoint", line, fail_silently=False)
        except Exception:  # the file holds the checkpoint; a mail outage must not lose it
            logger.exception("audit checkpoint could not be mailed to the ADMINS")
    return CheckResult(True, summary, report.checked, matched, line)
