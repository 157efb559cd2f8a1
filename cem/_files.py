"""Files at the bottom of the house: size limits, safe reading of text, atomic writes, paths kept inside a folder.

Everything that opens or writes a file for cem goes through here, so the rules (how large,
which encodings, never a half-written file, never a file outside the study folder) are
written once.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError, Problem

__all__ = ["MAX_MODEL_BYTES", "MAX_DATA_BYTES", "max_data_bytes", "check_size", "decode_text", "read_text",
           "atomic_write_text", "study_file", "inside", "default_mode"]


#: Model files above this size are refused before parsing (a model is a few hundred rows).
MAX_MODEL_BYTES = 20 * 1024 * 1024


#: Data files (survey, events, transactions) above this size are refused before reading;
#: the environment variable CEM_MAX_INPUT_BYTES sets another limit.
MAX_DATA_BYTES = 2 * 1024 ** 3


def max_data_bytes() -> int:
    """The size limit of data files: ``CEM_MAX_INPUT_BYTES`` if set, else :data:`MAX_DATA_BYTES`."""
    value = os.environ.get("CEM_MAX_INPUT_BYTES", "")
    return int(value) if value.strip().isdigit() else MAX_DATA_BYTES


def check_size(path: str | Path, size: int, what: str) -> None:
    """Refuse a data file (or its decompressed content) larger than :func:`max_data_bytes`."""
    limit = max_data_bytes()
    if size > limit:
        raise InputError.single(str(path), f"is {size / 2**20:,.0f} MiB{' decompressed' if what == 'xes' else ''}; "
                                f"data files may be at most {limit / 2**20:,.0f} MiB (set CEM_MAX_INPUT_BYTES to "
                                "allow more, or split the file)")


def decode_text(raw: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """Text of a file's bytes, and a warning when it was not plain UTF-8.

    UTF-8 (with or without a byte-order mark) is read as is; UTF-16 with its byte-order mark is
    read with a warning; anything else that is not UTF-8 is read as Latin-1 with a warning. A
    file with NUL bytes and no UTF-16 mark is binary: None.

    Examples
    --------
    >>> decode_text("café".encode("latin-1"), "f.csv")[1][0].message
    'is not UTF-8 (byte 3); read as Latin-1: check accented names'
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), [Problem(file, "", "is UTF-16; read it as such (save as UTF-8 to "
                                                  "avoid this warning)", "warning")]
        except UnicodeDecodeError:
            return None, []
    if b"\x00" in raw[:8192]:
        return None, []
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return raw.decode("latin-1"), [Problem(file, "", f"is not UTF-8 (byte {exc.start}); read as Latin-1: "
                                               "check accented names", "warning")]


def read_text(path: str | Path, what: str = "model") -> tuple[str, list[Problem]]:
    """The text of a file and its warnings, or an InputError saying plainly why it cannot be read."""
    p = Path(path)
    if not p.exists():
        raise InputError.single(str(path), "no such file or folder")
    if p.is_dir():
        raise InputError.single(str(path), f"is a folder; expected a {what} file")
    size = p.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise InputError.single(str(path), f"is {size / 2**20:.0f} MiB; a {what} file may be at most "
                                f"{MAX_MODEL_BYTES / 2**20:.0f} MiB")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError.single(str(path), f"cannot be read: {exc.strerror}") from None
    text, warnings = decode_text(raw, str(path))
    if text is None:
        raise InputError.single(str(path), f"is a binary file, not a YAML {what}")
    if not text.strip():
        raise InputError.single(str(path), f"is empty; expected a YAML {what}")
    return text, warnings


def default_mode(folder: bool = False) -> int:
    """The permissions a new file (0o666) or folder (0o777) gets under the process's umask.

    ``tempfile.mkstemp`` and ``mkdtemp`` make owner-only files and folders; what cem writes
    through them for the user (a model file, a report run's folder) is given these instead, as
    ``open`` and ``mkdir`` would.

    Examples
    --------
    >>> import os
    >>> old = os.umask(0o022)
    >>> oct(default_mode()), oct(default_mode(folder=True))
    ('0o644', '0o755')
    >>> _ = os.umask(old)
    """
    umask = None
    try:  # Linux says the umask without changing it (no window in which another thread sees 0)
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            umask = next((int(line.split()[1], 8) for line in fh if line.startswith("Umask:")), None)
    except (OSError, ValueError, IndexError):
        umask = None
    if umask is None:
        umask = os.umask(0o022)
        os.umask(umask)
    return (0o777 if folder else 0o666) & ~umask


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write a file through a temporary file in the same folder, so a crash leaves no half file.

    The file gets the permissions ``open`` would give it (:func:`default_mode`), not the
    temporary file's owner-only ones.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, default_mode())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def study_file(folder: str | Path, relative: str, what: str = "file") -> Path:
    """A file named in a study's settings, refused when it is not inside the study folder.

    The path is resolved (``..``, absolute paths, symbolic links), so nothing outside the
    folder is read through a setting; the message names the setting, never the file's content.

    Parameters
    ----------
    folder : str or Path
        The study folder.
    relative : str
        The path as study.yaml writes it, relative to the folder.
    what : str
        The setting that names it, for the message.

    Returns
    -------
    pathlib.Path
        ``folder / relative``.

    Raises
    ------
    InputError
        The path leaves the study folder.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> study_file(folder, "map.csv", "activities_file").name
    'map.csv'
    >>> study_file(folder, "../../etc/passwd", "activities_file")
    Traceback (most recent call last):
    ...
    cem.errors.InputError: ...: activities_file '../../etc/passwd' is outside the study folder; put the file in the study folder and name it relative to it
    """
    if not isinstance(relative, str) or not relative.strip():
        raise InputError.single(str(folder), f"{what} must be a file name relative to the study folder; "
                                f"got {relative!r}")
    path = Path(folder) / relative
    if not inside(path, folder):
        raise InputError.single(str(folder), f"{what} '{relative}' is outside the study folder; put the file in "
                                "the study folder and name it relative to it")
    return path


def inside(path: str | Path, folder: str | Path) -> bool:
    """Whether a path, once resolved (symbolic links followed), is inside the folder."""
    try:
        return Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError):  # a loop of links, a name too long: not a file cem reads
        return False


