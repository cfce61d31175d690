"""Shared fixtures: the shipped priors and the committed results stay as they were, whatever the tests do."""
import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# what the repository ships: a test that writes here would change a committed prior or result
GUARDED = ("priors", os.path.join("benchmark", "results"))


def snapshot():
    """Size and modification time of every file under the guarded folders, by path relative to the root."""
    files = {}
    for top in GUARDED:
        for folder, subfolders, names in os.walk(os.path.join(ROOT, top)):
            subfolders[:] = [d for d in subfolders if d != "__pycache__"]
            for name in names:
                path = os.path.join(folder, name)
                st = os.lstat(path)
                files[os.path.relpath(path, ROOT)] = (st.st_size, st.st_mtime_ns)
    return files


@pytest.fixture(scope="session", autouse=True)
def shipped_files_stay_untouched():
    """Fails the session if any file under priors/ or benchmark/results/ was written, added or removed while the
    tests ran: tests work on temporary copies (the `tmp_priors` fixture for the scripts that write priors)."""
    before = snapshot()
    yield
    after = snapshot()
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    if changed:
        shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10} more" if len(changed) > 10 else "")
        pytest.fail(f"the tests changed {len(changed)} shipped file(s) under priors/ or benchmark/results/: {shown} "
                    "(tests must work on temporary copies)", pytrace=False)


@pytest.fixture
def tmp_priors(tmp_path, monkeypatch):
    """A copy of priors/ under a temporary root that benchmark/calibrate_omega.py takes for the repository's: its
    --write (meant to be refused in the tests that use this) would land in the copy, never in the shipped priors."""
    sys.path.insert(0, os.path.join(ROOT, "benchmark"))
    try:
        import calibrate_omega
    finally:
        sys.path.remove(os.path.join(ROOT, "benchmark"))
    root = tmp_path / "checkout"
    shutil.copytree(os.path.join(ROOT, "priors"), root / "priors")
    monkeypatch.setattr(calibrate_omega, "ROOT", str(root))  # raises if the script ever drops its ROOT
    return root / "priors"
