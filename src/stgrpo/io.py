"""File output is atomic (a killed job never leaves a file that looks finished), and the
JSON / JSON-lines formats every stage writes are written and read one way."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import tokenize
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside `path`; rename it over `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_open(path) as handle:
        handle.write(text)


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Indented JSON with sorted keys and a final newline, atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_jsonl(path: str | os.PathLike, records: Iterable[Mapping[str, Any]]) -> None:
    """One JSON object per line, keys sorted (same records, same bytes), atomically."""
    with atomic_open(path) as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True) + "\n")


def read_jsonl(
    path: str | os.PathLike, error: type[Exception] = ValueError
) -> Iterator[tuple[str, Any]]:
    """(`path:line`, record) for each non-blank line; a line that is not JSON raises `error`
    naming file and line. The caller checks that the file exists (its own message)."""
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            source = f"{path}:{number}"
            try:
                yield source, json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{source}: not valid JSON ({exc})") from None


def sha256_file(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes (data manifests record it; readers check it)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def code_hash(*sources: str) -> str:
    """A short hash of Python source without its comments, docstrings and layout: an edit
    that can change what the code does changes it, a reworded comment does not."""
    digest = hashlib.sha256()
    for source in sources:
        for text in _code_tokens(source):
            digest.update(text.encode() + b"\0")
    return digest.hexdigest()[:16]


_LAYOUT = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)


def _code_tokens(source: str) -> Iterator[str]:
    skipped = (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING)
    tokens = [
        t for t in tokenize.generate_tokens(StringIO(source).readline) if t.type not in skipped
    ]
    docstring = False
    for i, token in enumerate(tokens):
        if docstring:  # the docstring's NEWLINE goes with it
            docstring = False
            continue
        starts = i == 0 or tokens[i - 1].type in _LAYOUT
        alone = i + 1 < len(tokens) and tokens[i + 1].type == tokenize.NEWLINE
        if token.type == tokenize.STRING and starts and alone:
            docstring = True  # (any string statement on its own does nothing)
            continue
        yield tokenize.tok_name[token.type] if token.type in _LAYOUT else token.string
