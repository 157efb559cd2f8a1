"""The report folder of ``cem report``: what cem owns in it, and one writer at a time.

cem deletes, moves or overwrites only what it wrote itself:

* the folder is marked as a cem report folder (a file ``.cem-report-folder``) when cem first
  writes into it; a folder that is not empty and not marked is refused unless the caller asks
  (``into_existing=True``), and even then cem touches only its own files;
* ``index.html`` is replaced only when cem wrote it (it names cem as its generator);
* a run is built in a hidden staging folder holding a marker file; only marked staging folders
  are ever cleared, so a user's ``.git`` or ``.venv`` beside the runs is never touched;
* a run folder is replaced only by a run of the same inputs (its ``run.json`` says so).

One batch writes into a folder at a time: it holds an exclusive lock on ``.cem-report.lock``
(``fcntl.flock``, released by the system when the process ends, however it ends); the lock file
names the holder's process id, host and start time, and a token the batch's workers check
before they move a finished run into place, so a worker that outlives its batch writes nothing.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import tempfile
import time
from pathlib import Path

from .._files import default_mode
from ..errors import CemError
from ..metrics import NAME_MAX_BYTES, _cut_bytes, _digest, safe_name

__all__ = [
    "FOLDER_MARKER",
    "LOCK_FILE",
    "STAGING_MARKER",
    "INDEX_GENERATOR",
    "FolderLock",
    "claim_folder",
    "holds_lock",
    "new_staging",
    "clear_staging",
    "move_into_place",
    "remove_staging",
    "remove_run",
    "read_runs",
    "is_run_folder",
    "safe_name",
    "run_name",
    "NAME_MAX_BYTES",
]

FOLDER_MARKER = ".cem-report-folder"
LOCK_FILE = ".cem-report.lock"
STAGING_MARKER = ".cem-staging"
#: What cem's index.html says of itself (``<meta name="generator" ...>``).
INDEX_GENERATOR = "cem report"


def run_name(study: object, value: object = None) -> str:
    """The folder name of a run: the study's name, and the segment value, made safe.

    When making the text safe changed it (a space, a slash, a tab, a cut), a hash of the exact
    text is added, so segment values ``x y``, ``x_y`` and ``x\\ty`` never share a folder.

    Examples
    --------
    >>> run_name("shop", "north")
    'shop__north'
    >>> run_name("shop", "x_y"), run_name("shop", "x y") != run_name("shop", "x\\ty")
    ('shop__x_y', True)
    """
    text = str(study) if value is None else f"{study}__{value}"
    name = safe_name(text)
    lossy = name != text or name.endswith(".failed")  # ".failed" is cem's own suffix for failed attempts
    if lossy and not name.endswith("-" + _digest(text)):
        name = _cut_bytes(name, NAME_MAX_BYTES - 9).rstrip("._-") + "-" + _digest(text)
    return name


def _is_cem_index(path):
    try:
        head = Path(path).read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
    # Older cem wrote no generator: its page is known by its title and its table's first headings.
    return f'content="{INDEX_GENERATOR}"' in head or (
        "<title>cem reports</title>" in head and "<th>run</th><th>status</th><th>reports</th>" in head)


def claim_folder(out: str | Path, *, into_existing: bool = False) -> Path:
    """Check that cem may write its reports into ``out``, and mark it as a cem report folder.

    Parameters
    ----------
    out : str or Path
    into_existing : bool
        Accept a folder that is not empty and was not made by cem (cem still touches only
        what it writes).

    Raises
    ------
    CemError
        ``out`` is a file, cannot be written, is someone else's non-empty folder, or holds an
        ``index.html`` that cem did not write.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "notes.txt").write_text("mine")
    4
    >>> claim_folder(d)
    Traceback (most recent call last):
    ...
    cem.errors.CemError: ... is not a cem report folder and is not empty (it holds notes.txt); ...
    """
    out = Path(out)
    try:
        return _claim(out, into_existing)
    except OSError as exc:  # a name too long, a folder that cannot be read or written
        raise CemError(f"--out {out}: cannot be used: {exc.strerror or exc}") from None


def _claim(out, into_existing):
    if out.exists() and not out.is_dir():
        raise CemError(f"--out {out}: is a file, not a folder; name a folder for the reports")
    marker = out / FOLDER_MARKER
    if out.is_dir() and not marker.exists():
        index = out / "index.html"
        ours = index.exists() and _is_cem_index(index)
        if not ours:
            names = sorted(p.name for p in out.iterdir())
            if names and not into_existing:
                shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
                raise CemError(f"--out {out}: is not a cem report folder and is not empty (it holds {shown}); "
                               "name a new or empty folder, or pass --into-existing to add reports to it "
                               "(cem then touches only what it writes)")
    index = out / "index.html"
    if index.exists() and not _is_cem_index(index):
        raise CemError(f"--out {out}: holds an index.html that cem did not write; cem will not replace it: "
                       "name another folder")
    out.mkdir(parents=True, exist_ok=True)
    if not marker.exists():
        _write_atomic(marker, "This folder holds reports written by `cem report`; cem replaces only what it "
                              "wrote here.\n")
    return out


def _write_atomic(path, text):
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class FolderLock:
    """The one-writer lock of a report folder (a context manager).

    Parameters
    ----------
    out : str or Path
        The report folder (it must exist).

    Attributes
    ----------
    token : str
        A random token of this batch, written in the lock file; workers pass it to
        :func:`holds_lock` before moving a run into place.

    Raises
    ------
    CemError
        Another process holds the lock; the message names its process id, host and start.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> with FolderLock(d) as lock:
    ...     holds_lock(d, lock.token)
    True
    >>> holds_lock(d, lock.token)  # released
    False
    """

    def __init__(self, out):
        self.out = Path(out)
        self.path = self.out / LOCK_FILE
        self.token = secrets.token_hex(8)
        self._fd = None

    def acquire(self):
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CemError(f"--out {self.out}: cannot be written: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            who = (f"process {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}"
                   if holder else "another process")
            raise CemError(f"--out {self.out}: another cem report is writing into it ({who}); wait for it to "
                           "finish or name another folder") from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "token": self.token,
                "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self):
        if self._fd is not None:
            import fcntl

            # The token is cleared first, so a worker that checks after this sees a batch that ended.
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def _read_holder(fd):
    try:
        return json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
    except ValueError:
        return {}


def holds_lock(out: str | Path, token: str) -> bool:
    """Whether the batch of ``token`` still holds the lock of ``out`` (it is alive and writing there).

    A worker asks before it moves a run into place: when the batch that started it has ended (by
    any signal, ``kill -9`` included, the system releases its lock) or another batch holds the
    folder now, the run is dropped instead of written.
    """
    import fcntl

    path = Path(out) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held: by the batch of this token?
            return _read_holder(fd).get("token") == token
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False  # nobody holds it: the batch has ended
    finally:
        os.close(fd)


def new_staging(out: str | Path, run: str, token: str = "") -> Path:
    """A hidden staging folder for ``run`` in ``out``, marked as cem's own.

    It has the permissions ``mkdir`` would give it (0o755 under the usual umask 022), so the
    run folder it becomes is as readable as the index.html beside it.
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{run}.", dir=out))
    try:
        # mkdtemp makes an owner-only folder; a run folder is read like index.html beside it (umask-respecting).
        staging.chmod(default_mode(folder=True))
        (staging / STAGING_MARKER).write_text(json.dumps({"run": run, "token": token, "pid": os.getpid()}) + "\n",
                                              encoding="utf-8")
    except OSError:  # an unmarked folder would never be cleared: leave none
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def clear_staging(out: str | Path) -> list[str]:
    """Remove what interrupted batches left half-made in ``out``: cem's marked staging folders only.

    Call it while holding the folder's lock (then no staging folder is in use). Hidden folders
    that cem did not make (``.git``, ``.venv``) are never touched.

    Returns
    -------
    list of str
        The names removed.
    """
    out = Path(out)
    removed = []
    if not out.is_dir():
        return removed
    for p in sorted(out.iterdir()):
        if not p.name.startswith(".") or p.is_symlink():
            continue
        old = re.fullmatch(r"\.(.+)\.old-\d+-\d+", p.name)
        if p.is_dir() and old and is_run_folder(p):
            final = out / old.group(1)
            if not final.exists():  # stopped between the two renames: this is the last good run, put it back
                os.replace(p, final)
                continue
            shutil.rmtree(p, ignore_errors=True)
        elif p.is_dir() and (p / STAGING_MARKER).is_file():
            shutil.rmtree(p, ignore_errors=True)
        elif p.is_file() and re.fullmatch(r"\.(index\.html|" + re.escape(FOLDER_MARKER[1:]) + r")\.tmp-\d+", p.name):
            p.unlink()
        else:
            continue
        removed.append(p.name)
    return removed


def is_run_folder(path: str | Path) -> bool:
    """Whether ``path`` is a run folder cem wrote (its ``run.json`` is cem's)."""
    record = _read_record(Path(path))
    return record is not None


def _read_record(folder):
    path = folder / "run.json"
    if folder.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not {"run", "status"} <= set(data) or not isinstance(data["run"], str):
        return None
    return data


def read_runs(out: str | Path) -> dict[str, dict]:
    """The runs in a report folder: ``{folder name: run.json record}``, failed attempts included.

    Examples
    --------
    >>> import tempfile
    >>> read_runs(tempfile.mkdtemp())
    {}
    """
    out = Path(out)
    runs = {}
    if not out.is_dir():
        return runs
    for p in sorted(out.iterdir()):
        if p.name.startswith(".") or not p.is_dir():
            continue
        record = _read_record(p)
        if record is not None:
            runs[p.name] = record
    return runs


def move_into_place(staging: str | Path, final: str | Path) -> Path:
    """Move a finished staging folder to ``final``, replacing it only when it is a cem run.

    Raises
    ------
    CemError
        ``final`` exists and is not a run cem wrote: it is left as it is.
    """
    staging, final = Path(staging), Path(final)
    old = None
    if final.exists() or final.is_symlink():
        if not is_run_folder(final):
            raise CemError(f"{final} exists and was not written by cem; it is left as it is")
        old = final.with_name(f".{final.name}.old-{os.getpid()}-{int(time.time() * 1000)}")
        os.replace(final, old)
    os.replace(staging, final)
    (final / STAGING_MARKER).unlink(missing_ok=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final


def remove_staging(staging: str | Path) -> None:
    """Remove a staging folder of cem's (one holding the staging marker); anything else is left."""
    staging = Path(staging)
    if staging.is_dir() and not staging.is_symlink() and (staging / STAGING_MARKER).is_file():
        shutil.rmtree(staging, ignore_errors=True)


def remove_run(folder: str | Path) -> None:
    """Remove a run folder cem wrote (it holds cem's ``run.json``); anything else is left."""
    folder = Path(folder)
    if is_run_folder(folder):
        shutil.rmtree(folder, ignore_errors=True)
