"""Operations on many archives at once, named by what they do: assign a worker,
change the status. Each archive is written on its own with the version check, so
an edit a colleague saved meanwhile is never overwritten: the change is applied
again on the archive as it now stands. The outcome says exactly which archives
were changed and which were not, and why."""

import datetime as dt
from dataclasses import dataclass, field

from .base import by_id
from .errors import DomainError, StaleRecordError
from .services import snapshot, update_record

#: How often one archive is read again when colleagues keep saving it meanwhile.
STALE_RETRIES = 5
#: The most archives one bulk operation takes (each is written on its own, with its check).
BULK_LIMIT = 500


def bulk_selection(ids: list) -> tuple[list, str | None]:
    """The selected ids one bulk operation takes, and, when more were selected than it
    takes, what the user is told (never a silent cut)."""
    if len(ids) <= BULK_LIMIT:
        return ids, None
    left = len(ids) - BULK_LIMIT
    return ids[:BULK_LIMIT], (f"一次最多处理 {BULK_LIMIT} 份档案：共选择了 {len(ids)} 份，本次只处理前 {BULK_LIMIT} 份；"
                              f"其余 {left} 份请在完成后重新选择。")


@dataclass
class BulkOutcome:
    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)  # already so: nothing to write
    refused: list = field(default_factory=list)  # (archive, Chinese reason)

    def summary(self) -> str:
        parts = [f"已修改 {len(self.changed)} 份档案"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} 份原本如此、无需修改")
        if self.refused:
            names = "；".join(f"{record.name}（{reason}）" for record, reason in self.refused)
            parts.append(f"{len(self.refused)} 份未修改：{names}")
        return "，".join(parts) + "。"


def _apply_to_each(records, change, actor) -> BulkOutcome:
    """Apply ``change(record)`` (which returns False when there is nothing to do) to
    each record and write it; a record saved by someone else meanwhile is read
    again and the change applied to what they saved."""
    outcome = BulkOutcome()
    for record in records:
        current = record
        for _attempt in range(STALE_RETRIES):
            before = snapshot(current)
            if change(current) is False:
                outcome.unchanged.append(current)
                break
            try:
                changes = update_record(current, before, current.version, actor)
            except StaleRecordError:
                current = by_id(type(current), current.pk)
                if current is None:
                    outcome.refused.append((record, "档案已不存在"))
                    break
                continue
            except DomainError as exc:
                outcome.refused.append((current, exc.message))
                break
            (outcome.changed if changes else outcome.unchanged).append(current)
            break
        else:
            outcome.refused.append((record, "多次被他人同时修改，请稍后重试"))
    return outcome


def assign_worker(records, worker, actor) -> BulkOutcome:
    """Make ``worker`` the responsible worker of each archive."""
    if worker is None:
        raise DomainError("请选择责任社工。", field="worker")

    def change(record):
        if record.worker is not None and record.worker.pk == worker.pk:
            return False
        record.worker = worker
        return True

    return _apply_to_each(records, change, actor)


def change_status(records, status: str, status_date: dt.date, reason: str | None, actor) -> BulkOutcome:
    """Set the status of each archive; any status but 在档 needs a reason."""
    if not status:
        raise DomainError("请选择档案状态。", field="status")
    reason = (reason or "").strip() or None
    if status != "active" and not reason:
        raise DomainError("变更为非“在档”状态时须填写原因。", field="reason")
    when = dt.datetime.combine(status_date, dt.time())

    def change(record):
        if record.status == status and record.status_reason == reason and record.status_date == when:
            return False
        record.status = status
        record.status_date = when
        record.status_reason = reason
        return True

    return _apply_to_each(records, change, actor)
