"""`feeds import FILE.opml` and `feeds export`: subscription lists as Miniflux, FreshRSS, Feedly
and Inoreader write them (tests/data/opml), comments kept, a round trip; and the JSON shape of
`feeds list`. Through the installed `news-monitor`; nothing is fetched."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from console import ROOT, news_monitor
from demosite import write_config

OPML = Path(__file__).resolve().parent / "data" / "opml"
CONFIGURED = "- {url: 'https://news.example/world.rss', name: World, tags: [world]}\n"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, CONFIGURED)


def nm(config: Path, *argv: str) -> tuple[int, str, str]:
    done = news_monitor(*argv, "--config", str(config))
    return done.returncode, done.stdout, done.stderr


def dry_run(config: Path, name: str, *argv: str) -> dict[str, Any]:
    code, out, err = nm(config, "feeds", "import", str(OPML / name), "--dry-run", "--json", *argv)
    assert code == 0, err
    result: dict[str, Any] = json.loads(out)
    return result


def added(result: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [(f["name"], f["url"], f["tags"]) for f in result["added"]]


def test_miniflux_categories_become_tags(config: Path) -> None:
    assert added(dry_run(config, "miniflux.opml")) == [
        ("Example Wire: Top News", "https://wire.example/top.rss", ["All"]),
        ("Baltic Times", "https://baltic.example/feed/", ["Europe"]),
        ("Kyiv Daily – News", "https://kyiv-daily.example/rss/news.xml?lang=en", ["Europe"]),
    ]


def test_freshrss_scraped_source_is_a_section_page(config: Path) -> None:
    result = dry_run(config, "freshrss.opml")
    assert [(f["name"], f["type"], f["tags"]) for f in result["added"]] == [
        ("Example Wire: Top News", "feed", ["Uncategorized"]),
        ("Defence Monitor", "feed", ["Defence"]),
        ("Ukraine section", "page", ["Defence"]),
    ]


def test_feedly_feed_in_two_folders_is_added_once_with_both_tags(config: Path) -> None:
    result = dry_run(config, "feedly.opml", "--tag", "feedly")
    assert added(result) == [
        ("Kyiv Wire", "https://kyivwire.example/feed", ["World", "Ukraine", "feedly"]),
        ("Front Line Blog", "https://frontline.example/index.xml", ["Ukraine", "feedly"]),
    ]
    assert result["skipped"] == [
        {"url": "https://news.example/world.rss", "reason": "already configured as 'World'"}
    ]


def test_inoreader_top_level_feeds_and_two_folders(config: Path) -> None:
    result = dry_run(config, "inoreader.opml")
    assert added(result) == [
        ("Russia Monitor", "https://rumonitor.example/rss", []),
        ("Legion Watch", "https://legionwatch.example/feed.json", ["Security", "Eastern Europe"]),
    ]
    # the same feed with a tracking parameter is the configured one
    assert [s["url"] for s in result["skipped"]] == [
        "https://news.example/world.rss?utm_source=inoreader"
    ]


def test_import_keeps_the_config_file_and_reports_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    original = (ROOT / "config" / "feeds.yaml").read_text(encoding="utf-8")
    path.write_text(original, encoding="utf-8")
    code, out, err = nm(path, "feeds", "import", str(OPML / "feedly.opml"), "--dry-run")
    assert code == 0 and "would add 3 feeds" in out, err
    assert path.read_text(encoding="utf-8") == original  # a dry run writes nothing
    code, out, err = nm(path, "feeds", "import", str(OPML / "inoreader.opml"), "--tag", "ino")
    assert code == 0 and f"added 3 feeds to {path}" in out, err
    assert (
        "  + Legion Watch  https://legionwatch.example/feed.json  [Security, Eastern Europe, ino]"
        in out
    )
    text = path.read_text(encoding="utf-8")
    last = "    name: Demo Ukraine section\n    tags: [world]\n"
    inserted = text[text.index(last) + len(last) : text.index("  # - url: https://feeds.example")]
    assert text.replace(inserted, "", 1) == original  # every comment and line as it was
    assert inserted.count("  - url: ") == 3 and "tags: [Security, Eastern Europe, ino]" in inserted
    code, out, err = nm(path, "feeds", "import", str(OPML / "inoreader.opml"))
    assert code == 0 and "added 0 feeds" in out and "skipped 3:" in out, err
    assert "  - https://rumonitor.example/rss: already configured as 'Russia Monitor'" in out
    assert nm(path, "check")[0] == 0


def test_a_taken_name_gets_a_number(tmp_path: Path) -> None:
    path = write_config(tmp_path, "- {url: 'https://other.example/rss', name: Kyiv Wire}\n")
    code, out, err = nm(path, "feeds", "import", str(OPML / "feedly.opml"))
    assert code == 0, err
    code, out, _ = nm(path, "feeds", "list", "--json")
    assert [f["name"] for f in json.loads(out)][1:3] == ["Example News - World", "Kyiv Wire (2)"]


def test_entities_and_junk_are_refused_without_a_traceback(config: Path, tmp_path: Path) -> None:
    before = config.read_text(encoding="utf-8")
    code, _, err = nm(config, "feeds", "import", str(OPML / "entities.opml"))
    assert code == 1 and "refused: the document declares entities" in err
    assert "Traceback" not in err and "lol" not in err.split("(")[0]
    junk = tmp_path / "junk.opml"
    for text, message in (
        ("<opml><body>", "not well-formed XML"),
        ("<rss><channel/></rss>", "not an OPML document"),
        ("<opml><body><outline text='empty folder'/></body></opml>", "no outline with an xmlUrl"),
    ):
        junk.write_text(text, encoding="utf-8")
        code, _, err = nm(config, "feeds", "import", str(junk))
        assert code == 1 and message in err and "hint: an OPML subscription list" in err, err
    code, _, err = nm(config, "feeds", "import", str(tmp_path / "missing.opml"))
    assert code == 1 and "cannot read" in err
    assert config.read_text(encoding="utf-8") == before


def test_export_is_opml_2_with_names_and_tags(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        CONFIGURED
        + "- {url: 'https://a.example/rss', name: 'A & B', tags: [world, 'x/y']}\n"
        + "- {url: 'https://p.example/section/', type: page}\n",
    )
    code, out, err = nm(path, "feeds", "export")
    assert code == 0, err
    root = ET.fromstring(out)
    assert root.get("version") == "2.0" and root.findtext("head/title")
    body = root.find("body")
    assert body is not None
    world = body.find("outline[@text='world']")
    assert world is not None
    assert [o.get("text") for o in world.findall("outline")] == ["World", "A & B"]
    assert world.findall("outline")[1].get("category") == "world"  # x/y: by its folder only
    page = body.find("outline[@xmlUrl='https://p.example/section/']")
    assert (
        page is not None and page.get("type") == "html" and page.get("text") == "p.example/section"
    )


def test_round_trip(tmp_path: Path) -> None:
    shipped = ROOT / "config" / "feeds.yaml"
    source = tmp_path / "source.yaml"
    source.write_text(
        shipped.read_text(encoding="utf-8").replace(
            "    tags: [world]\n  # - url",
            "    tags: [world]\n  - {url: 'http://x.example/a.rss', name: 'X: A', tags: [b, world]}\n"
            "  # - url",
        ),
        encoding="utf-8",
    )
    code, exported, err = nm(source, "feeds", "export", "--format", "opml")
    assert code == 0, err
    (tmp_path / "subs.opml").write_text(exported, encoding="utf-8")
    (tmp_path / "target").mkdir()
    target = write_config(tmp_path / "target", "- {url: 'http://127.0.0.1:9/other', name: Other}\n")
    code, out, err = nm(target, "feeds", "import", str(tmp_path / "subs.opml"))
    assert code == 0 and "added 3 feeds" in out, err

    def listed(path: Path) -> list[tuple[str, str, str, list[str]]]:
        code, out, _ = nm(path, "feeds", "list", "--json")
        return [(f["name"], f["url"], f["type"], f["tags"]) for f in json.loads(out)]

    assert listed(target)[1:] == listed(source)


def test_nested_folders_are_all_tags(config: Path, tmp_path: Path) -> None:
    nested = tmp_path / "nested.opml"
    nested.write_text(
        '<opml version="2.0"><body><outline text="News"><outline title="Europe">'
        '<outline text="Deep" xmlUrl="https://deep.example/rss" category="/Wire/EU,x"/>'
        "</outline></outline></body></opml>",
        encoding="utf-8",
    )
    code, out, err = nm(config, "feeds", "import", str(nested), "--dry-run", "--json")
    assert code == 0, err
    assert added(json.loads(out)) == [
        ("Deep", "https://deep.example/rss", ["Wire", "EU", "x", "News", "Europe"])
    ]


def test_feeds_list_json_has_a_stable_shape(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        CONFIGURED
        + "- {url: 'https://p.example/s/', type: page, interval: 2h, full_text: never}\n",
    )
    for argv in (["feeds", "list", "--json"], ["--json", "feeds", "list"]):
        code, out, err = nm(path, *argv)
        assert code == 0, err
        assert json.loads(out) == [
            {
                "name": "World",
                "url": "https://news.example/world.rss",
                "type": "feed",
                "interval": "15m",
                "tags": ["world"],
                "full_text": "auto",
                "enabled": True,
            },
            {
                "name": "p.example/s",
                "url": "https://p.example/s/",
                "type": "page",
                "interval": "2h",
                "tags": [],
                "full_text": "never",
                "enabled": True,
            },
        ]
