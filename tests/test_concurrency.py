"""Nothing acknowledged is lost under concurrent writes: parallel saves of one
version, parallel counter increments, and a bulk action racing edits. These
matter most on the local database (FerretDB), whose write commands are
read-then-write unless the local database program lets one through at a time;
they run on both test lanes."""

import threading

from models.archive_operations import assign_worker
from models.archives import ChildArchive
from models.audit import AuditEntry
from models.visits import VisitTally, move_tally

from .archive_helpers import make_child
from .conftest import csrf_token, login

SAVERS = 10
INCREMENTS = 100
ROUNDS = 4


def _run_together(workers: list) -> list:
    """Start every callable at the same moment; return their results in order."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)
    errors: list = []

    def run(index, work):
        try:
            prepared = work.prepare() if hasattr(work, "prepare") else None
            barrier.wait(timeout=60)
            results[index] = work(prepared) if prepared is not None else work()
        except Exception as exc:  # a worker's failure fails the test below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


class _EditSave:
    """One colleague: opens the edit form of ``child`` at version 1, then saves a note."""

    def __init__(self, app, child, username, note):
        self.app, self.child, self.username, self.note = app, child, username, note

    def prepare(self):
        client = self.app.test_client()
        assert login(client, self.username).status_code == 302
        url = f"/childarchive/edit/?id={self.child.pk}"
        return client, url, csrf_token(client, url)

    def __call__(self, prepared):
        client, url, token = prepared
        data = {"csrf_token": token, "record_version": "1", "name": self.child.name,
                "id_number": self.child.id_number, "sex": self.child.sex,
                "birth_date": self.child.birth_date.strftime("%Y-%m-%d"), "ethnicity": "汉族",
                "township": str(self.child.township.pk), "status": "active", "note": self.note}
        response = client.post(url, data=data)
        return response.status_code, response.get_data(as_text=True)


def test_parallel_saves_of_one_version_keep_exactly_one(app, accounts, townships):
    for round_number in range(ROUNDS):  # several rounds: a lost update shows in any of them
        with app.app_context():
            child = make_child(townships["东江街道"], name=f"并发儿童{round_number}", sequence=61 + 2 * round_number)
        notes = [f"第{round_number}轮第{i}位同事写的说明" for i in range(SAVERS)]
        results = _run_together([_EditSave(app, child, "shegong", note) for note in notes])

        saved = [i for i, (status, _page) in enumerate(results) if status == 302]
        refused = [i for i, (status, page) in enumerate(results) if status == 200 and "该记录已被他人修改" in page]
        assert len(saved) == 1, [status for status, _ in results]
        assert len(refused) == SAVERS - 1
        for i in refused:  # each refused colleague still has what they typed
            assert notes[i] in results[i][1]
        with app.app_context():
            stored = ChildArchive.objects(pk=child.pk).first()
            assert stored.version == 2
            assert stored.note == notes[saved[0]]
            assert AuditEntry.objects(record_id=str(child.pk), action="update").count() == 1


def test_parallel_increments_are_exact(app, townships):
    slot = ("2026-03", townships["东江街道"].pk)

    def count_one():
        with app.app_context():
            move_tally(None, slot)

    _run_together([count_one] * INCREMENTS)
    with app.app_context():
        tallies = VisitTally.objects(month="2026-03", township=slot[1])
        assert [t.count for t in tallies] == [INCREMENTS]


def test_bulk_assign_racing_edits_loses_no_edit(app, accounts, townships):
    with app.app_context():
        children = [make_child(townships["东江街道"], name=f"批量{i}", sequence=101 + 2 * i) for i in range(6)]
        coordinator = accounts["coordinator"]
        worker = accounts["staff"]
    notes = {child.pk: f"{child.name}的同事说明" for child in children}
    editors = [_EditSave(app, child, "shegong", notes[child.pk]) for child in children]
    outcome = {}

    def bulk():
        with app.app_context():
            records = [ChildArchive.objects(pk=child.pk).first() for child in children]
            outcome["bulk"] = assign_worker(records, worker, coordinator)

    results = _run_together([bulk, *editors])

    saved_edits = [child for child, (status, _) in zip(children, results[1:], strict=True) if status == 302]
    with app.app_context():
        stored = {c.pk: c for c in ChildArchive.objects(pk__in=[child.pk for child in children])}
        # every acknowledged edit is there, and the bulk action says exactly what it changed
        for child in saved_edits:
            assert stored[child.pk].note == notes[child.pk]
        changed = {record.pk for record in outcome["bulk"].changed}
        assert changed == {pk for pk, record in stored.items() if record.worker and record.worker.pk == worker.pk}
        assert changed == set(stored)  # a colleague's save meanwhile only made it read the archive again
        for pk in changed:
            assert AuditEntry.objects(record_id=str(pk), action="update", changes__field="worker").count() == 1
