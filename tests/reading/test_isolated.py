"""Reading untrusted files: only regular files opened, size before bytes, each parse in a limited child."""

import json
import os
import socket
import time
from pathlib import Path

import pytest

from collector.forms.model import load_forms
from collector.reading.isolated import CRASHED_CODE, Checker, NotRegular, check_paths, read_regular

FORMS = load_forms()
SCHEMAS = Path(__file__).parent / "no-workspace-schemas"  # the bundled forms only


def _a_return(tmp_path: Path) -> Path:
    import random

    from collector.jobs.samples import realistic_values, write_return

    path = tmp_path / "source.xlsx"
    form = FORMS["dxal-2020"]
    write_return(path, form, "某单位", realistic_values(form, random.Random(1)), contact="联络员", phone="1")
    return path


def test_only_a_regular_file_is_opened(tmp_path):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    link = tmp_path / "zero.xlsx"
    link.symlink_to("/dev/zero")
    dangling = tmp_path / "gone.xlsx"
    dangling.symlink_to(tmp_path / "nowhere")
    sock = tmp_path / "s.xlsx"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    try:
        kinds = {}
        for path in (fifo, link, dangling, sock, Path("/dev/null")):
            with pytest.raises(NotRegular) as caught:
                read_regular(path)  # a FIFO opened for reading would block here
            kinds[path.name] = caught.value.kind
    finally:
        server.close()
    assert kinds == {"pipe.xlsx": "fifo", "zero.xlsx": "symlink", "gone.xlsx": "symlink", "s.xlsx": "socket",
                     "null": "device"}


def test_a_file_above_the_cap_is_hashed_by_streaming_and_never_held(tmp_path):
    import hashlib

    big = tmp_path / "big.xlsx"
    with open(big, "wb") as stream:
        stream.truncate(30 * 1024 * 1024)
    opened = read_regular(big)
    assert opened.data is None and opened.size == 30 * 1024 * 1024
    assert opened.sha256 == hashlib.sha256(bytes(30 * 1024 * 1024)).hexdigest()


def _checked(paths, monkeypatch, fault, seconds=None):
    import collector.reading.isolated as isolated

    monkeypatch.setattr(isolated, "_FAULT", fault)
    with Checker(FORMS, SCHEMAS, workers=2, seconds=seconds or isolated.SECONDS) as checker:
        checker.plan(paths)
        results = [checker.check(p, p.read_bytes(), read_regular(p).sha256) for p in paths]
        return results, checker.crashes


@pytest.mark.parametrize("fault", ["abort", "memory", "hang"])
def test_a_child_that_aborts_runs_out_of_memory_or_hangs_costs_that_file_only(tmp_path, monkeypatch, fault):
    source = _a_return(tmp_path)
    paths = []
    for i in range(6):
        path = tmp_path / (f"坏{i}.xlsx" if i == 2 else f"好{i}.xlsx")
        path.write_bytes(source.read_bytes())
        paths.append(path)
    started = time.monotonic()
    results, crashes = _checked(paths, monkeypatch, f"{fault}:坏", seconds=3 if fault == "hang" else None)
    assert crashes == 1
    assert [r.error_code for r in results] == [None, None, CRASHED_CODE, None, None, None]
    assert all(r.form is not None and r.form.id == "dxal-2020" for i, r in enumerate(results) if i != 2)
    assert "文件结构异常，无法安全读取" in results[2].problems[0].message
    assert time.monotonic() - started < 30


def test_check_command_answers_hostile_entries_each_in_one_result(tmp_path):
    fifo = tmp_path / "pipe.xlsx"
    os.mkfifo(fifo)
    good = tmp_path / "good.xlsx"
    good.write_bytes(_a_return(tmp_path).read_bytes())
    results = check_paths([fifo, good, tmp_path / "missing.xlsx"], FORMS, SCHEMAS)
    assert [r.error_code for r in results] == ["not_a_file", None, "unreadable"]
    assert results[1].form is not None


def test_a_child_of_a_large_process_still_has_its_memory_budget(tmp_path, monkeypatch):
    """The memory limit is on top of what a forked child starts with, not an absolute figure below it.

    A long test run (or any parent with many threads' malloc arenas) has an address space of gigabytes;
    its forked children inherit it, and a fixed 2 GiB limit failed every allocation of theirs: every good
    return came back as 文件结构异常.
    """
    import mmap

    import collector.reading.isolated as isolated

    reserved = mmap.mmap(-1, isolated.MEMORY_BYTES + 1024**3)  # address space only: nothing is touched
    try:
        pid = os.fork()
        if pid == 0:  # the child: the limit as a checking child sets it, then a 100 MB read buffer
            code = 1
            try:
                isolated._limit_memory(isolated.MEMORY_BYTES)
                bytearray(100 * 1024 * 1024)
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
    finally:
        reserved.close()
    assert os.waitstatus_to_exitcode(status) == 0
    # and the limit still holds: far beyond the budget fails
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            isolated._limit_memory(256 * 1024**2)
            try:
                bytearray(512 * 1024**2)
            except MemoryError:
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_large_files_with_many_problems_never_leave_parent_and_child_waiting_on_each_other(tmp_path):
    """The bytes of each file go to its child through the pipe, and many problems make a large answer
    coming back: the parent's sending (here ~0.4 MB a message) must never wait for a child that is
    itself waiting for the parent to take its answers. Every file is checked, none is timed out."""
    import random

    from conftest import make_return

    form = FORMS["dxal-2020"]
    bad = {ref.key: "-1" for ref in form.blank_refs if ref.kind == "count"}  # an error in every count
    pad = random.Random(0).randbytes(120_000).hex()  # random: each file over 0.1 MB packed
    paths = [make_return(tmp_path / f"r{i}.xlsx", "呼中林业局", seed=i, changes=bad, properties={"pad": pad})
             for i in range(16)]
    assert all(p.stat().st_size > 100_000 for p in paths)
    with Checker(FORMS, SCHEMAS, expected="dxal-2020", workers=1, seconds=15) as checker:
        checker.plan(paths)
        results = []
        for path in paths:
            opened = checker.opened(path)
            results.append(checker.check(path, opened.data, opened.sha256))
    assert all(r.error_code is None and len(r.errors) == len(bad) for r in results)
    # the values come with their JSON text for the ledger, worked out in the child
    assert all(json.loads(r.values_json) == r.values and json.loads(r.cells_json) == r.cells for r in results)
    assert sum(len(repr(r.problems).encode()) for r in results[:8]) > 64 * 1024  # answers beyond a pipe's buffer
