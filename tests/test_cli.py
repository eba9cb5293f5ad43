"""The command line: exit codes, messages without tracebacks, JSON shapes of SPEC.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from demosite import email_digest, write_config
from httpserver import LocalServer, respond
from monitor.cli import main
from monitor.cli.output import clip, short_time
from peers import smtp_server

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config(tmp_path: Path, server: LocalServer) -> Path:
    server.routes["/broken"] = respond(500, b"down")
    return write_config(
        tmp_path,
        f"""\
        - {{url: '{server.url("/world.rss")}', name: World, tags: [world]}}
        - {{url: '{server.url("/broken")}', name: Broken}}
        """,
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def test_check_ok_and_problems(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "--config", str(config), "check")
    assert code == 0 and "ok — 2 feeds, 1 topics" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("feeds:\n  - url: nope\n    intervall: 5m\n", encoding="utf-8")
    code, out, err = run(capsys, "--config", str(bad), "check")
    assert code == 1
    assert f"{bad}:2: feeds[0].url:" in err and f"{bad}:3: feeds[0].intervall: unknown key" in err
    code, out, _ = run(capsys, "--config", str(bad), "--json", "check")
    report = json.loads(out)
    assert code == 1 and not report["ok"] and {p["line"] for p in report["problems"]} == {2, 3}


def test_poll_status_export(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    code, out, _ = run(capsys, "--config", str(config), "poll")
    assert code == 0, out  # a failing source does not fail the command
    assert "polled 2 sources: 3 new articles, 0 unchanged, 1 failed" in out
    assert "Broken:" in out and "500" in out
    code, out, _ = run(capsys, "--config", str(config), "--json", "status")
    status = json.loads(out)
    by_name = {s["name"]: s for s in status["sources"]}
    assert set(by_name["World"]) >= {
        "name",
        "url",
        "last_success",
        "last_error",
        "error_count",
        "next_poll",
        "articles",
    }
    assert by_name["World"]["articles"] == 3 and by_name["World"]["error_count"] == 0
    assert by_name["Broken"]["error_count"] == 1 and "500" in by_name["Broken"]["last_error"]
    assert "digests" in status
    code, out, _ = run(capsys, "--config", str(config), "export", "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(lines) == 3
    legion = [a for a in lines if a["topics"] == ["Legion"]]
    assert len(legion) == 2 and all(
        a["canonical_url"].startswith("http://127.0.0.1") for a in lines
    )
    assert all(isinstance(a["story_id"], int) for a in lines)
    assert len({a["story_id"] for a in legion}) == 1  # two outlets, one event: one story
    code, out, _ = run(
        capsys, "--config", str(config), "--json", "stories", "--topic", "Legion", "--since", "30d"
    )
    (story,) = json.loads(out)
    assert set(story) == {
        *("id", "title", "first_seen", "last_seen", "topics", "articles"),  # SPEC.md's shape
        *("first_source", "first_published", "second_source", "lead_seconds"),  # added
    }
    assert story["first_source"] in {a["source"] for a in story["articles"]}
    assert story["topics"] == ["Legion"] and len(story["articles"]) == 2
    assert set(story["articles"][0]) == {
        "id",
        "url",
        "source",
        "title",
        "published",
        "duplicate_of",
    }
    code, out, _ = run(capsys, "--config", str(config), "stories", "--since", "30d")
    assert code == 0 and "2 articles, 1 source, last seen" in out and "1 article, 1 source" in out
    code, out, _ = run(capsys, "--config", str(config), "export", "--since", "1d")
    assert len(out.splitlines()) == 3
    code, out, _ = run(capsys, "--config", str(config), "poll")  # nothing due now
    assert "polled 0 sources" in out
    code, out, _ = run(capsys, "--config", str(config), "poll", "World")  # named: polled now
    assert "polled 1 sources: 0 new articles, 1 unchanged" in out


def test_status_shows_delivery_times_like_source_times(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: LocalServer
) -> None:
    """The human table prints both as `2026-11-29 20:35`; `status --json` keeps ISO strings."""
    with smtp_server() as smtp:
        config = write_config(
            tmp_path,
            f"- {{url: '{server.url('/world.rss')}', name: World}}\n",
            email_digest(smtp.port),
        )
        assert run(capsys, "--config", str(config), "poll")[0] == 0
        assert run(capsys, "--config", str(config), "digest", "send", "legion-daily")[0] == 0
        assert len(smtp.received) == 1
    code, out, _ = run(capsys, "--config", str(config), "--json", "status")
    report = json.loads(out)
    (source,), (digest,) = report["sources"], report["digests"]
    delivered = datetime.fromisoformat(digest["last_delivery"])  # the JSON keeps full ISO 8601
    assert delivered.utcoffset() is not None and digest["last_delivery"] == delivered.isoformat()
    code, out, _ = run(capsys, "--config", str(config), "status")
    assert code == 0
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    polled = short_time(datetime.fromisoformat(source["last_success"]))
    assert polled in rows["World"]
    assert rows["legion-daily"].split() == [
        "legion-daily",
        "analysts",
        *short_time(delivered).split(),
        "0",  # pending
        "-",  # last error
    ]


def test_topics_test(capsys: pytest.CaptureFixture[str], config: Path) -> None:
    run(capsys, "--config", str(config), "poll")
    code, out, _ = run(capsys, "--config", str(config), "--json", "topics", "test", "Legion")
    results = json.loads(out)
    assert code == 0 and len(results) == 2
    assert set(results[0]) == {"article_id", "url", "title", "score", "hits", "snippet"}
    code, out, _ = run(
        capsys, "--config", str(config), "--json", "topics", "test", "--query", "cycling lanes"
    )
    assert [r["title"] for r in json.loads(out)] == ["City council approves new cycling lanes"]
    code, _, err = run(capsys, "--config", str(config), "topics", "test", "--query", '"unclosed')
    assert code == 1 and "column" in err


def test_import_then_export_round_trip(
    capsys: pytest.CaptureFixture[str], config: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive.jsonl"
    archive.write_text(
        json.dumps(
            {
                "url": "https://e.example/a?utm_source=x",
                "title": "Legion raid",
                "text": "The Freedom of Russia Legion crossed.",
                "published": "2025-01-02T03:04:05Z",
                "source": "Archive",
            }
        )
        + "\n"
        + "not json\n"
        + json.dumps({"url": "ftp://x", "title": "bad"})
        + "\n",
        encoding="utf-8",
    )
    code, out, err = run(capsys, "--config", str(config), "import", str(archive))
    assert code == 1 and "imported 1 new articles" in out
    assert f"{archive}:2: not JSON" in err and f"{archive}:3:" in err
    code, out, _ = run(capsys, "--config", str(config), "export")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert (
        row["canonical_url"] == "https://e.example/a"
        and row["published"] == "2025-01-02T03:04:05+00:00"
    )
    assert row["source"] == "Archive" and row["topics"] == ["Legion"]


def test_feeds_list_add_remove_test(
    capsys: pytest.CaptureFixture[str], config: Path, server: LocalServer
) -> None:
    code, out, _ = run(capsys, "--config", str(config), "--json", "feeds", "list")
    assert [f["name"] for f in json.loads(out)] == ["World", "Broken"]
    code, out, _ = run(
        capsys,
        "--config",
        str(config),
        "feeds",
        "add",
        server.url("/ukraine/"),
        "--name",
        "Section",
        "--type",
        "page",
        "--tag",
        "world",
    )
    assert code == 0 and "added 'Section'" in out
    code, out, _ = run(capsys, "--config", str(config), "feeds", "list")
    assert "Section" in out and "page" in out
    code, out, _ = run(capsys, "--config", str(config), "feeds", "remove", "Section")
    assert code == 0
    code, out, _ = run(
        capsys, "--config", str(config), "--json", "feeds", "test", server.url("/world.rss")
    )
    report = json.loads(out)
    assert report["ok"] and report["format"] == "rss" and report["entries"] == 3
    texts = {i["title"]: i for i in report["items"]}
    raid = texts["Russian volunteer legion claims cross-border raid in Belgorod"]
    assert (
        raid["text_from"] == "page" and "Kozinka" in raid["text"] and "Advert" not in raid["text"]
    )
    code, out, err = run(capsys, "--config", str(config), "feeds", "test", server.url("/broken"))
    assert code == 1 and "500" in err


def test_feeds_add_full_text(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, server: LocalServer
) -> None:
    original = (ROOT / "config" / "feeds.yaml").read_text(encoding="utf-8")
    last = "    name: Demo Ukraine section\n    tags: [world]\n"
    path = tmp_path / "feeds.yaml"
    config = ("--config", str(path))
    url = server.url("/world.rss")  # `feeds add` fetches what it adds
    entry = f"  - url: {url}\n    name: B\n"
    for flag, written, loaded in (
        (["--full-text", "never"], entry + "    full_text: never\n", "never"),
        ([], entry, "auto"),  # no flag: no key
    ):
        path.write_text(original, encoding="utf-8")
        code, out, _ = run(capsys, *config, "feeds", "add", url, "--name", "B", *flag)
        assert code == 0 and "added 'B'" in out
        # a round trip: the rest of the file, comments and all, as it was
        assert path.read_text(encoding="utf-8") == original.replace(last, last + written)
        code, out, _ = run(capsys, *config, "--json", "feeds", "list")
        assert {f["name"]: f["full_text"] for f in json.loads(out)}["B"] == loaded
    with pytest.raises(SystemExit) as usage:
        main([*config, "feeds", "add", "http://c.example/", "--full-text", "sometimes"])
    assert usage.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    missing = cli("--config", str(tmp_path / "none.yaml"), "status")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "does not exist" in missing.stderr
    usage = cli("frobnicate")
    assert usage.returncode == 2 and "invalid choice" in usage.stderr
    path = write_config(tmp_path, "- {url: 'http://127.0.0.1:9/feed', name: X}\n")
    unknown = cli("--config", str(path), "poll", "Nope")
    assert unknown.returncode == 1 and "no enabled source named Nope" in unknown.stderr
    assert "hint:" in unknown.stderr and "Traceback" not in unknown.stderr


def test_a_closed_pipe_ends_quietly_with_141(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`export | head -1`: once the reader is gone, exit 141 (128 + SIGPIPE) without a word."""
    path = write_config(tmp_path, "- {url: 'http://127.0.0.1:9/feed', name: X}\n")
    archive = tmp_path / "archive.jsonl"
    line = {"title": "Story", "text": "word " * 400, "published": "2025-01-02T03:04:05Z"}
    archive.write_text(
        "".join(
            json.dumps({**line, "url": f"https://e.example/{n}", "source": "Archive"}) + "\n"
            for n in range(120)
        ),
        encoding="utf-8",
    )
    assert run(capsys, "--config", str(path), "import", str(archive))[0] == 0
    # ~250 KB of lines: more than a pipe holds, so the writer is still writing when it closes
    with subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(path), "export"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert json.loads(proc.stdout.readline())["source"] == "Archive"
        proc.stdout.close()
        err = proc.stderr.read()
        assert (proc.wait(timeout=60), err) == (141, "")


def test_env_config_and_state_dir(tmp_path: Path) -> None:
    path = write_config(tmp_path, "- {url: 'http://127.0.0.1:9/feed', name: X}\n")
    result = cli(
        "status",
        env={"MONITOR_CONFIG": str(path), "MONITOR_STATE_DIR": str(tmp_path / "elsewhere")},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "elsewhere" / "monitor.db").exists()


def test_run_refuses_an_invalid_config_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("settings:\n  poll_interval: often\n", encoding="utf-8")
    result = cli("--config", str(path), "run")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{path}:2: settings.poll_interval:" in result.stderr


def test_status_problems_are_clipped_with_an_ellipsis() -> None:
    long = "http://127.0.0.1:8098/feedparser/illformed/: got an HTML page where a feed was expected"
    assert clip(long, 100) == long  # fits: as it is
    assert clip(long, 40) == "http://127.0.0.1:8098/feedparser/illfor…"  # 39 + "…"
    assert clip("line one\n  line two", 100) == "line one line two"  # one table row
