"""Keeping direct identifiers out of every output.

Patient IDs in per-patient outputs and in messages are replaced by keyed
pseudonyms (HMAC-SHA256 with a secret *study key*), stable for the same key
so a centre can link its own rows and federated sites that share the key can
match theirs, and meaningless to anyone without the key.

The study key (:func:`study_key`) is, in this order:

1. the ``--id-key`` option (``spinestats --id-key KEY COMMAND ...``);
2. the environment variable ``SPINESTATS_ID_KEY``;
3. the file ``.spinestats-key`` in the data file's folder or one of its
   parents (the nearest wins);
4. otherwise a new random key (256 bits), written on first use to
   ``.spinestats-key`` in the data file's folder, readable by its owner only
   (mode 0600).  Keep that file with the study and out of every shared
   folder; give it (or its content in ``SPINESTATS_ID_KEY``) to the other
   sites of a federated study so their pseudonyms match.

The key is never derived from anything an output contains, and no output
records it or any fingerprint of it.  When no key exists and the data
folder is not writable, a one-time random key is used for that run (the
pseudonyms then differ between runs) and a warning says so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas

    from spinestats.data_schemas.records import Problem

#: environment variable holding the study key
KEY_ENV = "SPINESTATS_ID_KEY"
#: older name, still read by ``predict``
LEGACY_KEY_ENV = "SPINESTATS_PSEUDONYM_KEY"
#: file holding the study key, found in the data folder or a parent
KEY_FILE = ".spinestats-key"
#: shortest key accepted (characters)
MIN_KEY_LENGTH = 16


@dataclasses.dataclass(frozen=True)
class StudyKey:
    """A study key and where it came from (``--id-key``, environment, file, new file, one-time)."""

    secret: str = dataclasses.field(repr=False)
    source: str
    path: Path | None = None
    note: str | None = None  # a sentence for the user (a new key file, a one-time key)


def _checked(key: str, where: str) -> str:
    from spinestats.errors import UsageError

    key = key.strip()
    if len(key) < MIN_KEY_LENGTH:
        raise UsageError(f"{where}: the study key is too short ({len(key)} characters); use at least "
                         f"{MIN_KEY_LENGTH} random characters (e.g. the 64 hex digits of a new .spinestats-key).")
    return key


def find_key_file(start: str | os.PathLike[str]) -> Path | None:
    """The nearest ``.spinestats-key`` in ``start`` or one of its parents, if any."""
    folder = Path(start).resolve()
    for f in (folder, *folder.parents):
        candidate = f / KEY_FILE
        if candidate.is_file():
            return candidate
    return None


def write_key_file(path: str | os.PathLike[str]) -> str:
    """Create ``path`` (never replacing a file) holding a new random key (256 bits), mode 0600; the key."""
    secret = secrets.token_hex(32)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secret + "\n")
    return secret


def study_key(start: str | os.PathLike[str] | None = None, explicit: str | None = None,
              create: bool = True) -> StudyKey | None:
    """The study key for data in folder ``start`` (see the module docstring for the order).

    With ``create`` False, ``None`` when no key is given or stored.
    """
    if explicit:
        return StudyKey(_checked(explicit, "--id-key"), "--id-key")
    for env in (KEY_ENV,):
        if os.environ.get(env):
            return StudyKey(_checked(os.environ[env], env), "environment")
    folder = Path(start) if start is not None else Path.cwd()
    found = find_key_file(folder)
    if found is not None:
        try:
            return StudyKey(_checked(found.read_text(encoding="utf-8"), str(found)), "file", found)
        except OSError as exc:
            from spinestats.errors import UsageError

            raise UsageError(f"{found}: cannot read the study key ({exc.strerror}).") from None
    if not create:
        return None
    path = folder.resolve() / KEY_FILE
    try:
        secret = write_key_file(path)
    except FileExistsError:  # written by a parallel run a moment ago
        return study_key(start, None, create=False)
    except OSError:
        return StudyKey(secrets.token_hex(32), "one-time", None,
                        "a study key to pseudonymise patient IDs; none was found and the data file's folder is "
                        f"not writable, so this run used a one-time key (its pseudonyms differ from any other "
                        f"run's); set {KEY_ENV} or --id-key to the study key to keep them stable")
    return StudyKey(secret, "new file", path,
                    "a study key to pseudonymise patient IDs; none was found, so a new one was written to "
                    f"{KEY_FILE} in the data file's folder (readable by you only): keep it with the study and "
                    "out of shared folders")


class LazyKey:
    """A study key resolved on first use, so that a key file is only created when needed."""

    def __init__(self, start: str | os.PathLike[str] | None, explicit: str | None = None) -> None:
        self.start = start
        self.explicit = explicit
        self._key: StudyKey | None = None

    def get(self) -> StudyKey:
        if self._key is None:
            self._key = study_key(self.start, self.explicit)
        assert self._key is not None
        return self._key

    @property
    def used(self) -> bool:
        return self._key is not None


def pseudonymise(ids: Iterable[object], key: str) -> list[str]:
    """Replace each ID by ``"P-"`` plus 10 hex digits of HMAC-SHA256(key, id).

    Parameters
    ----------
    ids : patient (or case) identifiers, any type; compared as text.
    key : secret key; the same key always gives the same pseudonym.
    """
    k = key.encode("utf-8")
    return ["P-" + hmac.new(k, str(i).encode("utf-8"), hashlib.sha256).hexdigest()[:10] for i in ids]


def signing_key(key: str) -> bytes:
    """The key that signs site bundles, derived from the study key (separate from the pseudonym key)."""
    return hmac.new(key.encode("utf-8"), b"spinestats site-bundle signature v1", hashlib.sha256).digest()


def pseudonymise_columns(frame: "pandas.DataFrame", columns: Iterable[str], key: str) -> "pandas.DataFrame":
    """A copy of ``frame`` with each of ``columns`` (that it has) replaced by :func:`pseudonymise`.

    Use before writing any per-patient table; the columns to replace are the
    schema's identifier columns (``Schema.identifiers()``: patient_id,
    case_id).  Missing values stay missing.  ``frame`` is not modified.
    """
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            values = out[col]
            present = values.notna().to_numpy()
            replaced = values.astype(object).copy()
            replaced[present] = pseudonymise(values[present].tolist(), key)
            out[col] = replaced
    return out


def mask_problems(problems: Sequence["Problem"], id_columns: Iterable[str], key: LazyKey) -> list["Problem"]:
    """``problems`` with every value of an identifier column replaced by its pseudonym.

    ``id_columns`` are the identifier columns as named in the file; a problem
    on a combination of columns (``"case + reader"``, value ``"C-1 / R1"``)
    has the parts that are identifiers replaced.  The key is resolved only
    when a value needs it.
    """
    ids = set(id_columns)
    out = []
    for p in problems:
        if p.value is None or p.column is None:
            out.append(p)
            continue
        parts = p.column.split(" + ")
        if not any(c in ids for c in parts):
            out.append(p)
            continue
        secret = key.get().secret
        if len(parts) == 1:
            value: object = pseudonymise([p.value], secret)[0]
        else:
            values = str(p.value).split(" / ")
            if len(values) == len(parts):
                value = " / ".join(pseudonymise([v], secret)[0] if c in ids else v for c, v in zip(parts, values))
            else:
                value = pseudonymise([p.value], secret)[0]
        out.append(dataclasses.replace(p, value=value))
    return out
