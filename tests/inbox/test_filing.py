"""Making what ingest wrote durable: one syncfs per disk on Linux, an fsync of each file elsewhere."""

import os
import sys

import pytest

from collector.inbox import filing
from collector.inbox.filing import Durable


@pytest.fixture
def counted_syncfs(monkeypatch):
    """The real syncfs, with the folders it was called on noted (it still syncs the disk)."""
    real = filing._syncfs()
    if real is None:
        pytest.skip("no syncfs on this system")
    called = []

    def syncfs(fd):
        called.append(os.fstat(fd).st_dev)
        return real(fd)

    monkeypatch.setattr(filing, "_SYNCFS", [syncfs])
    return called


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs is Linux's")
def test_linux_syncs_the_disk_not_each_file():
    assert filing._syncfs() is not None
    assert Durable().whole_disk


def test_a_batch_costs_one_syncfs_per_disk(tmp_path, counted_syncfs):
    durable = Durable()
    for folder in ("回执", "archive"):
        (tmp_path / folder).mkdir()
        for n in range(5):
            path = tmp_path / folder / f"{n}.txt"
            path.write_text("x")
            durable.file(path)
    durable.folder(tmp_path / "inbox-gone")  # removed meanwhile: nothing of it left to sync
    durable.wait()
    assert counted_syncfs == [os.stat(tmp_path).st_dev]
    assert not durable.folders and not durable.files and not durable.pending
    durable.wait()  # nothing named since: nothing synced
    assert len(counted_syncfs) == 1


def test_a_failed_sync_is_an_error_not_silence(tmp_path, monkeypatch):
    def failing(fd):
        import ctypes

        ctypes.set_errno(5)  # EIO: the disk could not be written
        return -1

    monkeypatch.setattr(filing, "_SYNCFS", [failing])
    durable = Durable(whole_disk=True)
    durable.folder(tmp_path)
    with pytest.raises(OSError) as caught:
        durable.wait()
    assert caught.value.errno == 5 and caught.value.filename == str(tmp_path)


def test_without_syncfs_each_file_is_fsynced_by_the_threads(tmp_path, monkeypatch):
    synced = []
    real = filing._fsync
    monkeypatch.setattr(filing, "_fsync", lambda path, folder: (synced.append((path, folder)), real(path, folder)))
    durable = Durable(whole_disk=False)
    written = []
    for n in range(Durable.GROUP + 3):  # one job handed over while writing, the rest at the wait
        path = tmp_path / f"{n}.txt"
        path.write_text("x")
        durable.file(path)
        written.append(str(path))
    durable.file(tmp_path / "moved-on.txt")  # renamed away before its turn: its folder is synced
    durable.wait()
    durable.close()
    assert sorted(p for p, folder in synced if not folder) == sorted(written + [str(tmp_path / "moved-on.txt")])
    if sys.platform != "win32":
        assert (str(tmp_path), True) in synced
