"""The user guide (docs/, mkdocs.yml) and the README: the guide builds with ``mkdocs build
--strict``, and every example in it runs — each ``python`` block, in order, in one namespace per
page, and each ``$ commonplan …`` command of the ``console`` blocks, with its exit status and the
first lines of its output as shown."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from cli_support import run

ROOT = Path(__file__).parents[1]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
WIDTH = 96
"""The width the output on the pages is drawn at."""

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_NOT_RUN = re.compile(r"<!--\s*not run\b[^>]*-->\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a page: its language, its text, the line it starts on, and whether an
    HTML comment ``<!-- not run: … -->`` right before it keeps it from running."""

    page: Path
    lang: str
    text: str
    line: int
    run: bool


def blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page`` at the start of a line (indented ones are not code)."""
    source = page.read_text(encoding="utf-8")
    found = []
    for m in _FENCE.finditer(source):
        before = source[: m.start()].rstrip("\n")
        last = before.rsplit("\n", 1)[-1]
        line = source.count("\n", 0, m.start()) + 1
        found.append(Block(page, m.group(1), m.group(2), line, not _NOT_RUN.search(last)))
    return found


@dataclass(frozen=True)
class Command:
    """A ``$ commonplan …`` line of a console block, with the output shown under it."""

    block: Block
    args: tuple[str, ...]
    shown: tuple[str, ...]
    exit_code: int

    def __str__(self) -> str:
        return f"{self.block.page.name}:{self.block.line} commonplan {' '.join(self.args)}"


def commands(block: Block) -> list[Command]:
    """The ``$ commonplan`` commands of a console block (other commands — pip, bash — are shown,
    not run).  A command ending ``; echo "exit $?"`` expects the status its shown ``exit N``
    line gives; any other, 0."""
    lines = block.text.splitlines()
    out: list[Command] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        cmd = lines[i][2:]
        while cmd.endswith("\\"):
            i += 1
            cmd = cmd[:-1] + lines[i]
        i += 1
        shown = []
        while i < len(lines) and not lines[i].startswith("$ "):
            shown.append(lines[i])
            i += 1
        expected = 0
        echo = '; echo "exit $?"'
        if cmd.rstrip().endswith(echo):
            cmd = cmd.rstrip()[: -len(echo)]
            status = [s for s in shown if re.fullmatch(r"exit \d+", s)]
            assert len(status) == 1, f"{block.page.name}:{block.line}: no 'exit N' line shown"
            expected = int(status[0].split()[1])
            shown = [s for s in shown if s != status[0]]
        words = shlex.split(cmd, comments=True)
        if words[0] == "commonplan":
            out.append(Command(block, tuple(words[1:]), tuple(shown), expected))
    return out


def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh directory holding a copy of examples/, made the current one."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMMONPLAN_DB", raising=False)


def _id(page: Path) -> str:
    return page.name


def test_the_guide_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    built = {p.parent.name for p in tmp_path.glob("*/index.html")}
    assert built >= {p.stem for p in PAGES if p.parent.name == "docs" and p.stem != "index"}
    assert (tmp_path / "index.html").is_file()


def test_every_page_is_in_the_navigation() -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for page in (ROOT / "docs").glob("*.md"):
        assert f": {page.name}" in nav, page.name


@pytest.mark.parametrize(
    "page", [p for p in PAGES if any(b.lang == "python" for b in blocks(p))], ids=_id
)
def test_python_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _workdir(tmp_path, monkeypatch)
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    ran = 0
    for block in blocks(page):
        if block.lang != "python" or not block.run:
            continue
        code = compile(block.text, f"{page.name}:{block.line}", "exec")
        exec(code, namespace)
        ran += 1
    assert ran > 0


CONSOLE = [
    c for p in PAGES for b in blocks(p) if b.lang == "console" and b.run for c in commands(b)
]


def test_the_console_examples_are_found() -> None:
    """The parser finds what the pages hold: a failing status shown, output shown, not-run
    blocks left out."""
    names = {str(c).split(" ", 1)[1] for c in CONSOLE}
    assert "commonplan demo" in names
    assert any(c.exit_code == 2 for c in CONSOLE)
    assert all("serve" not in c.args for c in CONSOLE)
    assert sum(1 for c in CONSOLE if c.shown) >= 4


@pytest.mark.parametrize("page", sorted({c.block.page for c in CONSOLE}), ids=_id)
def test_console_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _workdir(tmp_path, monkeypatch)
    for command in (c for c in CONSOLE if c.block.page == page):
        result = run(*command.args, columns=WIDTH)
        assert result.exit_code == command.exit_code, f"{command}\n{result.output}"
        head = []
        for line in command.shown:
            if "…" in line:
                break
            head.append(line.rstrip())
        lines = [line.rstrip() for line in result.stdout.splitlines()]
        assert lines[: len(head)] == head, f"{command}: the first lines differ"
        # the lines shown further down, where none is left out (…), are in the output too
        for line in command.shown[len(head) :]:
            if "…" not in line and line.strip():
                assert line.rstrip() in lines, f"{command}: {line!r} is not in the output"
