"""Five kill -9 trials of `news-monitor run` (bench/crash.py runs 100): nothing lost, nothing
delivered twice as new content. The rig and the analysis are bench/crashfarm.py and
bench/crashreport.py."""

from __future__ import annotations

import random
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

from crashfarm import CrashRig  # noqa: E402
from crashreport import email_content, problems, slack_content  # noqa: E402


def test_five_kills_lose_nothing_and_send_nothing_twice(tmp_path: Path) -> None:
    rng = random.Random(5)
    with CrashRig(tmp_path, feeds=4, bump=6.0) as rig:
        # each phase once (extract and store first, while every feed is due: a feed polled is
        # due again 30 s later), then a kill while the killed delivery is sent again
        for phase in ["extract", "store", "poll", "send", "send"]:
            rig.trial(rng, phase=phase)
        report = rig.settle(timeout=60)
    assert sum(t.reached for t in rig.trials) >= 4, [(t.phase, t.reached) for t in rig.trials]
    assert report["final_poll"] == 0 and report["final_run"] == 0
    assert report["linked"] > 0 and report["matched"] > 0
    assert report["mail"]["messages"] > 0 and report["slack"]["messages"] > 0
    assert report["mail"]["links_shown"] == report["slack"]["links_shown"] == report["matched"]
    assert problems(report) == [], report


def test_content_is_read_from_what_the_sinks_received() -> None:
    """The analysis counts new coverage only: "(earlier)" sources and headlines are no repeat."""
    text = (
        "1. Headline  [update: 1 new source]\n"
        "   - Farm 1: http://127.0.0.2:1/articles/1/2.html\n"
        "     also carried by Farm 3: http://127.0.0.4:1/articles/3/9.html\n"
        "   - Farm 2 (earlier): http://127.0.0.3:1/articles/2/1.html\n"
        "     also carried by Farm 4: http://127.0.0.5:1/articles/4/9.html\n"
    )
    assert email_content(text) == {
        "http://127.0.0.2:1/articles/1/2.html",
        "http://127.0.0.4:1/articles/3/9.html",
    }
    body = (
        '{"blocks": [{"type": "section", "text": {"text": "*<http://h/a|Headline>*"}},'
        ' {"type": "context", "elements": [{"type": "mrkdwn", "text":'
        ' "First coverage 06:00 · <http://h/b|Farm 1> · earlier: Farm 2"}]}]}'
    )
    assert slack_content(body) == {"http://h/b"}
