"""Where a planned scenario's report and tables go.

The default folder is named after the scenario, and two names that read alike as a folder
name ("Lab 1024", "lab-1024") must not overwrite each other's results: the folder is the
name's slug plus a short hash of the exact name. Folders are checked before any planning, so
a bad output place costs nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from gigawatt.errors import InputError, Problem

DEFAULT_ROOT = Path("out")
_HASH_HEX = 6  # 24 bits: two names of one user's scenarios never share a folder in practice


def folder_name(scenario_name: str) -> str:
    """``"Lab 1024"`` -> ``lab-1024-<6 hex digits of the name's SHA-256>``."""
    slug = re.sub(r"[^a-z0-9]+", "-", scenario_name.lower()).strip("-") or "scenario"
    digest = hashlib.sha256(scenario_name.encode("utf-8")).hexdigest()[:_HASH_HEX]
    return f"{slug}-{digest}"


def output_folders(scenarios: list[tuple[str, str]], out_dir: Path | None) -> list[Path]:
    """The folder for each (file, scenario name): ``out_dir`` itself for one scenario,
    ``out_dir/<folder_name>`` for several, ``out/<folder_name>`` without ``out_dir``. Two
    scenarios of the same name in one call are an error (one would overwrite the other)."""
    root = DEFAULT_ROOT if out_dir is None else out_dir
    single = out_dir is not None and len(scenarios) == 1
    folders = [root if single else root / folder_name(name) for _, name in scenarios]
    first: dict[Path, str] = {}
    for (file, name), folder in zip(scenarios, folders, strict=True):
        if folder in first:
            raise InputError(
                [
                    Problem(
                        file,
                        "name",
                        f"{name!r} is also the name of {first[folder]}; each scenario planned "
                        "together needs its own name (it names the output folder)",
                    )
                ]
            )
        first[folder] = file
    return folders


def prepare_folder(folder: Path) -> None:
    """Create ``folder`` (and parents) and check it can be written; InputError otherwise."""
    where = str(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError([Problem(where, "out", "is a file; the output must be a folder")])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InputError([Problem(where, "out", f"cannot create the folder: {reason}")]) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError([Problem(where, "out", "the folder is not writable")])
