"""Run a script's `main(argv)` in this process, as its command line would run it, for the many bad-input checks:
a new interpreter per case re-imports torch, gymnasium and mujoco (several seconds each). What a real process adds
(the exit status reaching the shell, nothing printed before `main`) is checked once per script by the tests that
still start one. An exception other than SystemExit propagates, so a raw traceback still fails the test."""
import contextlib
import io
from types import SimpleNamespace


def run_main(main, *argv):
    """`main(argv)` with stdout and stderr captured: returncode (SystemExit's code, 0 if it returned), stdout, stderr
    (the same fields as subprocess.run's result)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(argv))
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else int(e.code is not None)
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def main_exit(main, argv):
    """`main(argv)` in this process: its exit status and its stderr lines."""
    out = run_main(main, *argv)
    return out.returncode, out.stderr.splitlines()
