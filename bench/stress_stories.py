"""Synthetic stress streams for story clustering: the cases the dev files lack. Built from templates.

Not real data, and not used to fit or choose anything quoted as held out: a separate, labelled
check of two failure modes reported on real corpora the dev files do not show.

- ``long``: long-running events. A shooting in a town, covered by several outlets on its day;
  then weeks of quiet; then a later development (an arrest, charges, a court date) that names
  the same suspect, victim and town in other words. Among many other shootings, told from the
  same templates with other names, places, numbers and dates.
- ``shared``: events that share vocabulary and differ in who, where and when: budget votes,
  resignations and election calls of different politicians in different capitals, days to
  weeks apart, each covered by a few outlets in the same political words.

Each stream goes through the daemon's engine path (`bench/stories.run_engine`: a SQLite store,
one transaction an article, in date order), scored with BCubed like the dev files:

    .venv/bin/python bench/stress_stories.py [--seed 1] [--threshold T]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monitor.stories import StorySettings  # noqa: E402
from stories import run_engine, scores  # noqa: E402

Row = dict[str, str]
FIRST = [
    "James",
    "Mary",
    "Robert",
    "Linda",
    "Michael",
    "Susan",
    "David",
    "Karen",
    "Daniel",
    "Nancy",
    "Marcus",
    "Tanya",
    "Derek",
    "Alicia",
    "Trevor",
    "Monique",
    "Caleb",
    "Renee",
    "Dwayne",
    "Hollis",
    "Brandon",
    "Latoya",
    "Curtis",
    "Jolene",
    "Travis",
    "Wendell",
]
LAST = [
    "Whitfield",
    "Okafor",
    "Brennan",
    "Delgado",
    "Castellano",
    "Hargrove",
    "Pemberton",
    "Mbeki",
    "Lindqvist",
    "Yarborough",
    "Faulkner",
    "Rasmussen",
    "Quintero",
    "Ashby",
    "Kowalczyk",
    "Thibodeaux",
    "Marchetti",
    "Ellsworth",
    "Nakamura",
    "Abernathy",
    "Villanueva",
    "Stroud",
    "Galloway",
    "Pruitt",
    "Haskins",
    "Oyelaran",
]
TOWNS = [
    "Millbrook Cedar Falls",
    "Harlan Ridge",
    "Port Avery",
    "Westfield Heights",
    "Dunmore",
    "Bell Prairie",
    "Coldwater",
    "Kingsport Junction",
    "Maple Bluff",
    "Rockland Springs",
    "Garnet Valley",
    "Fairhaven",
    "Lyle Crossing",
    "Oakmont",
    "Sutter Bay",
    "Briar Hill",
    "New Alton",
    "Pine Hollow",
    "Easton Mills",
]
STREETS = [
    "Elm Street",
    "Route 9",
    "Carver Avenue",
    "Lakeview Drive",
    "Main Street",
    "Hollis Road",
    "Union Boulevard",
]
PLACES = [
    "a gas station",
    "a bar",
    "an apartment complex",
    "a parking lot",
    "a house party",
    "a convenience store",
]
FILLER = [
    "Neighbours said the area is usually quiet.",
    "Anyone with information is asked to call the police department.",
    "The investigation is ongoing, officials said.",
    "Community leaders called for calm.",
    "Officers remained at the scene for several hours.",
    "The mayor said the city would review its safety measures.",
]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _day(d: date) -> str:
    return f"{d:%B} {d.day}"


def _text(rng: random.Random, sentences: list[str]) -> str:
    return " ".join(sentences + rng.sample(FILLER, 3))


def long_running(rng: random.Random, events: int = 40) -> list[Row]:
    """Shootings covered on their day (3–4 outlets) and, for half of them, a development 3–8
    weeks later (2–3 outlets) that names the same suspect, victim and town in other words."""
    rows: list[Row] = []
    start = date(2024, 1, 1)
    for e in range(events):
        town, street, place = rng.choice(TOWNS), rng.choice(STREETS), rng.choice(PLACES)
        victim, suspect = _name(rng), _name(rng)
        age, dead, hurt = rng.randint(17, 60), rng.randint(1, 3), rng.randint(0, 4)
        day = start + timedelta(days=rng.randint(0, 200))
        cluster = f"long{e}"
        first = [
            (
                f"{dead} killed in {town} shooting",
                [
                    f"{dead} people were killed and {hurt} wounded when gunfire erupted at {place} "
                    f"on {street} in {town} on {_day(day)}, police said.",
                    f"The victim identified by police was {victim}, {age}.",
                    f"Police are searching for {suspect}, who they say fled the scene.",
                ],
            ),
            (
                f"Police seek suspect after {town} shooting",
                [
                    f"Investigators in {town} named {suspect} as a suspect in the shooting at "
                    f"{place} on {street} that left {dead} dead.",
                    f"{victim}, {age}, died at the scene on {_day(day)}.",
                ],
            ),
            (
                f"Shooting on {street} leaves {dead} dead",
                [
                    f"A shooting at {place} in {town} left {dead} dead and {hurt} injured late on "
                    f"{_day(day)}.",
                    f"Family members described {victim} as a devoted parent.",
                    f"Police said {suspect} and the victim knew each other.",
                ],
            ),
            (
                f"{town} mourns {victim}",
                [
                    f"Friends gathered on {street} to remember {victim}, {age}, who was shot at "
                    f"{place} in {town}.",
                    f"Police continue to look for {suspect}.",
                ],
            ),
        ]
        for i, (title, body) in enumerate(first[: rng.randint(3, 4)]):
            rows.append(_row(cluster, title, _text(rng, body), day + timedelta(days=i // 3)))
        if e % 2:
            continue
        later = day + timedelta(days=rng.randint(21, 56))
        what = rng.choice(("arrested", "charged", "arraigned"))
        second = [
            (
                f"{suspect} {what} in {town} killing",
                [
                    f"{suspect} was {what} on {_day(later)} in the death of {victim}, "
                    f"{town} police said.",
                    f"{victim} was killed at {place} on {street} on {_day(day)}.",
                    "Prosecutors said they would seek a murder charge.",
                ],
            ),
            (
                f"Suspect in {victim} death in custody",
                [
                    f"Authorities took {suspect} into custody weeks after {victim} was shot dead "
                    f"in {town}.",
                    "A judge set bail at one million dollars.",
                ],
            ),
            (
                f"Court date set for {suspect}",
                [
                    f"{suspect}, accused of killing {victim} in {town}, will appear before a "
                    "judge next month.",
                    f"The shooting on {street} shocked the community.",
                ],
            ),
        ]
        for title, body in second[: rng.randint(2, 3)]:
            rows.append(_row(cluster, title, _text(rng, body), later))
    return rows


POLITICIANS = [
    ("Prime Minister", "parliament"),
    ("Finance Minister", "parliament"),
    ("Governor", "state assembly"),
    ("Senator", "senate"),
]
CAPITALS = [
    "Valdoria",
    "Estmark",
    "Norvania",
    "Caldera",
    "Ostrava Reach",
    "Luminor",
    "Brightwater",
    "Tarsis",
]


def shared_vocabulary(rng: random.Random, events: int = 40) -> list[Row]:
    """Budget votes, resignations and election calls: the same political words, different
    people and capitals, days to weeks apart, each covered by 3–4 outlets within two days."""
    rows: list[Row] = []
    start = date(2024, 3, 1)
    kinds: list[Callable[[str, str, str, str, str, date], list[tuple[str, list[str]]]]] = [
        _budget,
        _resign,
        _election,
    ]
    for e in range(events):
        office, body = rng.choice(POLITICIANS)
        who, where = _name(rng), rng.choice(CAPITALS)
        amount = f"{rng.randint(12, 95)} billion"
        day = start + timedelta(days=rng.randint(0, 120))
        stories = kinds[e % 3](office, body, who, where, amount, day)
        for i, (title, sentences) in enumerate(rng.sample(stories, rng.randint(3, 4))):
            rows.append(_row(f"pol{e}", title, _text_pol(rng, sentences), day + timedelta(i // 2)))
    return rows


POL_FILLER = [
    "Opposition parties criticised the move.",
    "Analysts said the vote could test the governing coalition.",
    "The announcement came after weeks of negotiations.",
    "Markets reacted calmly to the news.",
    "Critics said the government had broken its promises.",
    "Supporters welcomed the decision.",
]


def _text_pol(rng: random.Random, sentences: list[str]) -> str:
    return " ".join(sentences + rng.sample(POL_FILLER, 3))


def _budget(
    office: str, body: str, who: str, where: str, amount: str, day: date
) -> list[tuple[str, list[str]]]:
    return [
        (
            f"{where} {body} passes budget",
            [
                f"The {body} in {where} approved a budget of {amount} on {_day(day)}, "
                f"handing {office} {who} a victory.",
                f"{who} said the budget would cut taxes and raise spending on schools.",
            ],
        ),
        (
            f"{who} wins budget vote",
            [
                f"{office} {who} won the budget vote in {where} on {_day(day)}.",
                f"The {amount} plan passed the {body} after a long debate.",
            ],
        ),
        (
            f"Budget vote in {where}",
            [
                f"Lawmakers in {where} backed the {amount} budget of {office} {who}.",
                "The opposition voted against the spending plan.",
            ],
        ),
        (
            f"{where} budget approved",
            [
                f"After a night of debate the {body} of {where} approved the budget put forward "
                f"by {who}, worth {amount}.",
            ],
        ),
    ]


def _resign(
    office: str, body: str, who: str, where: str, amount: str, day: date
) -> list[tuple[str, list[str]]]:
    return [
        (
            f"{office} {who} resigns",
            [
                f"{office} {who} of {where} resigned on {_day(day)} after losing a vote in the "
                f"{body}.",
                f"{who} said the budget dispute had made the post untenable.",
            ],
        ),
        (
            f"{who} steps down in {where}",
            [
                f"{who} stepped down as {office} in {where} on {_day(day)}.",
                f"The resignation follows a row over a {amount} budget.",
            ],
        ),
        (
            f"{where} leader quits",
            [
                f"The {office} of {where}, {who}, quit after the {body} rejected the budget.",
            ],
        ),
        (
            f"Resignation shakes {where}",
            [
                f"{who}'s resignation as {office} leaves {where} without a budget.",
                "The governing coalition will meet to choose a successor.",
            ],
        ),
    ]


def _election(
    office: str, body: str, who: str, where: str, amount: str, day: date
) -> list[tuple[str, list[str]]]:
    return [
        (
            f"{who} calls snap election",
            [
                f"{office} {who} called a snap election in {where} on {_day(day)} after the "
                f"{body} failed to pass the budget.",
            ],
        ),
        (
            f"{where} heads to early polls",
            [
                f"Voters in {where} will go to the polls early after {office} {who} dissolved "
                f"the {body}.",
                f"{who} said a {amount} budget needed a fresh mandate.",
            ],
        ),
        (
            f"Early election in {where}",
            [
                f"{who} announced an early election for {where} on {_day(day)}.",
                "Opposition leaders said they were ready for the vote.",
            ],
        ),
        (
            f"{office} dissolves {body}",
            [
                f"The {body} of {where} was dissolved by {office} {who}, setting up an early "
                "election.",
            ],
        ),
    ]


def _row(cluster: str, title: str, text: str, day: date) -> Row:
    return {"cluster": cluster, "title": title, "text": text, "date": day.isoformat()}


def stress_streams(seed: int) -> list[tuple[str, list[Row]]]:
    """The two synthetic streams of *seed*, each in date order."""
    out = []
    for name, make in (("long", long_running), ("shared", shared_vocabulary)):
        rows = make(random.Random(seed))
        out.append((name, sorted(rows, key=lambda r: r["date"])))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--threshold", type=float, default=None)
    args = ap.parse_args()
    s = StorySettings() if args.threshold is None else StorySettings(threshold=args.threshold)
    totals: dict[str, list[dict[str, float]]] = {}
    for seed in (int(x) for x in args.seeds.split(",")):
        for name, rows in stress_streams(seed):
            pred = run_engine(rows, True, s)
            res = scores([r["cluster"] for r in rows], pred)
            res["stories/events"] = len(set(pred)) / len({r["cluster"] for r in rows})
            res.update(_cases(rows, pred))
            totals.setdefault(name, []).append(res)
            print(f"{name} seed {seed}: {len(rows)} articles " + _fmt(res), flush=True)
    for name, runs in totals.items():
        mean = {k: sum(r[k] for r in runs) / len(runs) for k in runs[0]}
        print(f"== {name} (mean of {len(runs)}): " + _fmt(mean))
    return 0


def _cases(rows: list[Row], pred: list[int]) -> dict[str, float]:
    """The two failure modes counted: the share of later articles (after a gap of 2 weeks or
    more in their event) in the story of their event's first article, and the share of
    predicted stories holding more than one event."""
    first: dict[str, tuple[date, int]] = {}
    later = joined = 0
    for row, p in zip(rows, pred, strict=True):
        day = date.fromisoformat(row["date"])
        if row["cluster"] not in first:
            first[row["cluster"]] = (day, p)
        elif (day - first[row["cluster"]][0]).days >= 14:
            later += 1
            joined += p == first[row["cluster"]][1]
    events: dict[int, set[str]] = {}
    for row, p in zip(rows, pred, strict=True):
        events.setdefault(p, set()).add(row["cluster"])
    mixed = sum(len(v) > 1 for v in events.values()) / len(events)
    return {"later_joined": joined / later if later else float("nan"), "mixed": mixed}


def _fmt(res: dict[str, float]) -> str:
    keys = ("P", "R", "F1", "stories/events", "later_joined", "mixed")
    return " ".join(f"{k} {res[k]:.3f}" for k in keys)


if __name__ == "__main__":
    sys.exit(main())
