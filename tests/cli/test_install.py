"""The tool as a clerk gets it: a wheel built from this repository, installed apart from the source
tree, gives a `collect` that runs the demo (the forms and the demo's roster travel inside the wheel).

README's Windows way (`uv tool install collector-….whl`) installs this same wheel with its
dependencies; here the dependencies come from this environment, so the test needs no network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_wheel_installs_a_collect_that_runs_the_demo(tmp_path):
    try:
        import hatchling  # noqa: F401  the build backend, from the [test] extra
    except ImportError:
        pytest.skip("hatchling (the build backend, in the [test] extra) is not installed: the wheel cannot be built offline")
    dist, site = tmp_path / "dist", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(dist),
                    str(ROOT)], check=True, capture_output=True)
    (wheel,) = dist.glob("collector-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    collect = site / "bin" / ("collect.exe" if os.name == "nt" else "collect")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import collector; print(collector.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site), "the installed wheel, not the source tree"
    done = subprocess.run([str(collect), "demo", str(tmp_path / "演示")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"演示工作目录：{tmp_path / '演示'}"
    assert "报送情况：应报25，已报23，逾期0，未报2，待确认文件1份" in lines
    help_text = subprocess.run([str(collect), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True).stdout
    assert help_text.startswith("用法：collect 命令 [选项]")
