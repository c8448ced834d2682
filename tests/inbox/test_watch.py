"""collect watch: a real observer on a temporary inbox; files written in chunks or saved via rename."""

import os
import signal
import threading
import time

import pytest
from conftest import DATA, make_return, make_workspace

from collector.inbox.watch import is_complete, watch


class Watching:
    """``watch`` running in a thread, with what it has answered so far."""

    def __init__(self, workspace, **options):
        self.workspace = workspace
        self.outcomes = []
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(
            target=watch, args=(workspace,),
            kwargs=dict(on_file=self.outcomes.append, on_ready=self.ready.set, stop=self.stop, **options),
            daemon=True,
        )

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()

    def wait_for(self, count, timeout=10.0):
        deadline = time.monotonic() + timeout
        while len(self.outcomes) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.outcomes


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path)


@pytest.fixture
def whole(tmp_path):
    return make_return(tmp_path / "whole.xlsx", "呼中林业局").read_bytes()


@pytest.mark.parametrize("polling", [False, True])
def test_a_file_written_in_chunks_is_read_once_complete(ws, whole, polling):
    with Watching(ws, polling=polling, settle=0.5) as w:
        target = ws.inbox / "呼中林业局 统计表.xlsx"
        with open(target, "wb") as stream:
            for start in range(0, len(whole), 2000):
                stream.write(whole[start:start + 2000])
                stream.flush()
                time.sleep(0.1)  # a slow copy over the network
        written = time.monotonic()
        (outcome,) = w.wait_for(1)
        answered = time.monotonic() - written
    assert outcome.state == "accepted" and outcome.unit == "呼中林业局"
    assert outcome.receipt.is_file()
    assert answered < 2.0 + (1.0 if polling else 0.0)  # the polling observer looks once a second
    assert not target.exists()


def test_an_xls_written_slowly_is_taken_once_whole(ws):
    """A compound file (.xls) arrives in 4 KiB pieces, slower than the settle time: whole pieces of
    512-byte sectors are not a whole file; its header and FAT say when it is."""
    whole = (DATA / "dxal-2020" / "inbox" / "十八站林业局-统计表.xls").read_bytes()
    assert len(whole) > 2 * 4096
    with Watching(ws, settle=0.1) as w:
        target = ws.inbox / "十八站林业局-统计表.xls"
        with open(target, "wb") as stream:
            for start in range(0, len(whole), 4096):
                stream.write(whole[start:start + 4096])
                stream.flush()
                time.sleep(0.3)  # three times the settle time: settling alone would take it half-written
        outcomes = w.wait_for(1)
        time.sleep(0.3)
    assert [(o.name, o.state, o.unit) for o in outcomes] == [("十八站林业局-统计表.xls", "accepted", "十八站林业局")]


def test_a_file_sent_back_and_then_written_again_is_a_new_arrival(ws, whole):
    with Watching(ws, settle=0.1) as w:
        target = ws.inbox / "呼中林业局.xlsx"
        target.write_bytes("一份说明，不是表格".encode())
        (first,) = w.wait_for(1)
        deadline = time.monotonic() + 10
        while target.exists() and time.monotonic() < deadline:  # moved to returned/ with its batch
            time.sleep(0.02)
        assert first.state == "returned" and not target.exists()
        target.write_bytes(whole)  # the unit sends it again under the same name
        second = w.wait_for(2)[1]
    assert (second.name, second.state, second.unit) == ("呼中林业局.xlsx", "accepted", "呼中林业局")


def test_a_save_via_temp_file_and_rename_is_taken_once(ws, whole):
    with Watching(ws, settle=0.3) as w:
        temp = ws.inbox / "~WRL0001.tmp"
        temp.write_bytes(whole)
        os.replace(temp, ws.inbox / "呼中林业局.xlsx")  # what Excel does on save
        outcomes = w.wait_for(1)
        time.sleep(0.5)
    assert [(o.name, o.state) for o in outcomes] == [("呼中林业局.xlsx", "accepted")]


def test_files_already_there_and_missed_events_are_found_by_the_rescan(ws, whole):
    (ws.inbox / "早到的.xlsx").write_bytes(whole)
    with Watching(ws, settle=0.2, rescan=0.5) as w:
        assert [o.name for o in w.wait_for(1)] == ["早到的.xlsx"]


def test_a_file_that_never_completes_is_sent_back_in_the_end(ws, whole, monkeypatch):
    import collector.inbox.watch as watch_module

    monkeypatch.setattr(watch_module, "GIVE_UP_SECONDS", 1.0)
    with Watching(ws, settle=0.2) as w:
        (ws.inbox / "半截.xlsx").write_bytes(whole[:3000])
        (outcome,) = w.wait_for(1)
    assert outcome.state == "returned" and "不完整" in outcome.reason


def test_ctrl_c_stops_cleanly(ws):
    threading.Timer(0.8, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    result = watch(ws, settle=0.2)  # in the main thread, as the command runs it
    assert time.monotonic() - started < 5
    assert result.outcomes == []


def test_is_complete(tmp_path, whole):
    path = tmp_path / "a.xlsx"
    path.write_bytes(whole[:-10])
    assert not is_complete(path)
    path.write_bytes(whole)
    assert is_complete(path)
    path.write_bytes(b"")
    assert not is_complete(path)
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 1020)  # the old magic's half, whole sectors: not an .xls
    assert is_complete(path)


@pytest.mark.parametrize("name", ["dxal-2020/inbox/十八站林业局-统计表.xls", "changchun-2019/inbox/绿园区工信局-统计表.xls"])
def test_an_xls_is_complete_only_when_every_sector_its_fat_names_is_there(tmp_path, name):
    whole = (DATA / name).read_bytes()
    path = tmp_path / "a.xls"
    for cut in range(512, len(whole), 512):  # every length a writer of whole sectors passes through
        path.write_bytes(whole[:cut])
        assert not is_complete(path), cut
    path.write_bytes(whole)
    assert is_complete(path)


def test_cli_watch_refuses_a_missing_workspace(tmp_path):
    from typer.testing import CliRunner

    from collector.cli import app

    result = CliRunner().invoke(app, ["watch", "-w", str(tmp_path)])
    assert result.exit_code == 2 and "不是工作目录" in result.output


def test_a_long_watch_stays_flat(ws, tmp_path):
    """Every pass loads the forms afresh; what was built for the earlier copies must not pile up."""
    import gc
    import tracemalloc

    from collector.reading import check, reader

    caches = (reader._MATCHERS, reader._TEMPLATE_MATCHERS, check._PLANS)
    returns = [make_return(tmp_path / f"r{i}.xlsx", "呼中林业局", seed=i).read_bytes() for i in range(14)]
    try:
        with Watching(ws, settle=0.05, tick=0.02) as w:
            for i, data in enumerate(returns):
                if i == 4:  # warmed up: from here on, what stays allocated is counted
                    gc.collect()  # what only waits for the cycle collector is not kept
                    warm = [len(cache) for cache in caches]
                    tracemalloc.start()
                (ws.inbox / f"第{i}份.xlsx").write_bytes(data)
                assert len(w.wait_for(i + 1)) == i + 1
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert {o.state for o in w.outcomes} == {"accepted"}
    sizes = [len(cache) for cache in caches]  # (other tests' forms may have entries too)
    assert sizes == warm, f"cache entries {warm} after 4 passes, {sizes} after 14"
    # the caches bounded by their size (lru_cache) fill a little more each pass: far below the
    # ~0.8 MB per pass that keeping every pass's forms cost
    assert grown < 1024 * 1024, f"10 passes kept {grown / 1e6:.1f} MB"

