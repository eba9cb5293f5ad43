"""Level 3 on cases the dev files lack: a long-running event, events that share vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.store import Store
from monitor.stories import StoryEngine
from storyfeed import feed

T0 = datetime(2024, 5, 6, 9, tzinfo=UTC)

SHOOTING = [
    (
        "Two killed in Harlan Ridge shooting",
        "Two people were killed and three wounded when gunfire erupted at a bar on Carver Avenue "
        "in Harlan Ridge on Saturday night, police said. One of the dead was Curtis Yarborough, "
        "41. Police are searching for Dwayne Pemberton, who they say fled in a grey pickup.",
    ),
    (
        "Police seek suspect after bar shooting",
        "Investigators in Harlan Ridge named Dwayne Pemberton as the suspect in the shooting at "
        "the Carver Avenue bar that left two dead. Curtis Yarborough, 41, died at the scene; "
        "three others are in hospital.",
    ),
    (
        "Harlan Ridge mourns Curtis Yarborough",
        "Friends gathered on Carver Avenue to remember Curtis Yarborough, a youth football coach "
        "who was shot in a Harlan Ridge bar. Police continue to look for Dwayne Pemberton.",
    ),
]
OTHER_SHOOTINGS = [
    (
        "Man shot dead at Port Avery gas station",
        "A man was shot dead at a gas station on Route 9 in Port Avery on Tuesday afternoon, "
        "police said. The victim, Marcus Lindqvist, 27, was pumping fuel when a gunman opened "
        "fire. Police have made no arrest.",
    ),
    (
        "Port Avery gas station killing",
        "Marcus Lindqvist, 27, was killed at the Route 9 gas station in Port Avery. Detectives "
        "are reviewing security footage and asked witnesses to come forward.",
    ),
    (
        "Teen wounded in Coldwater drive-by",
        "A 16-year-old was wounded in a drive-by shooting on Lakeview Drive in Coldwater late on "
        "Friday, police said. Officers found eleven shell casings; no one has been arrested.",
    ),
]
# Five weeks later: the arrest, told in other words, naming the same suspect, victim and town.
ARREST = [
    (
        "Pemberton arrested in Yarborough killing",
        "Dwayne Pemberton was arrested on Thursday in the death of Curtis Yarborough, Harlan Ridge "
        "police said. Yarborough was killed in the bar on Carver Avenue last month. Prosecutors "
        "said they would seek a murder charge, and a judge will set bail on Monday.",
    ),
    (
        "Suspect in Harlan Ridge bar killing in custody",
        "Authorities took Dwayne Pemberton into custody weeks after Curtis Yarborough was shot "
        "dead in Harlan Ridge. He was found at a relative's home in another state and waived "
        "extradition, his lawyer said.",
    ),
]

# Two budget votes in the same words: other politicians, other capitals, ten days apart.
BUDGET_A = [
    (
        "Valdoria parliament passes budget",
        "The parliament of Valdoria approved a 42 billion budget on Tuesday, handing Prime "
        "Minister Helena Okafor a victory after weeks of negotiations. Okafor said the budget "
        "would cut taxes and raise spending on schools. Opposition parties criticised the plan.",
    ),
    (
        "Okafor wins budget vote",
        "Prime Minister Helena Okafor won the budget vote in Valdoria on Tuesday. The 42 billion "
        "plan passed parliament after a long debate; the opposition voted against it.",
    ),
    (
        "Budget approved in Valdoria",
        "Lawmakers in Valdoria backed the 42 billion budget of Prime Minister Helena Okafor, "
        "which raises school spending and cuts income tax, after a night of debate.",
    ),
]
BUDGET_B = [
    (
        "Estmark parliament passes budget",
        "The parliament of Estmark approved a 17 billion budget on Friday, handing Prime "
        "Minister Tomas Brennan a victory after weeks of negotiations. Brennan said the budget "
        "would cut taxes and raise spending on hospitals. Opposition parties criticised the plan.",
    ),
    (
        "Brennan wins budget vote",
        "Prime Minister Tomas Brennan won the budget vote in Estmark on Friday. The 17 billion "
        "plan passed parliament after a long debate; the opposition voted against it.",
    ),
    (
        "Budget approved in Estmark",
        "Lawmakers in Estmark backed the 17 billion budget of Prime Minister Tomas Brennan, "
        "which raises hospital spending and cuts income tax, after a night of debate.",
    ),
]


HOURLY = timedelta(hours=1)  # these streams' articles come an hour apart


def test_a_later_development_weeks_after_joins_its_story(store: Store) -> None:
    engine = StoryEngine()
    first = feed(store, engine, SHOOTING, 0, T0, HOURLY)
    others = feed(store, engine, OTHER_SHOOTINGS, 10, T0 + timedelta(days=4), HOURLY)
    later = feed(store, engine, ARREST, 20, T0 + timedelta(days=35), HOURLY)
    assert len(set(first)) == 1
    assert not set(others) & set(first)
    assert set(later) == set(first)  # the arrest five weeks on is the same story


def test_events_sharing_vocabulary_stay_apart(store: Store) -> None:
    engine = StoryEngine()
    a = feed(store, engine, BUDGET_A, 0, T0, HOURLY)
    b = feed(store, engine, BUDGET_B, 10, T0 + timedelta(days=10), HOURLY)
    assert len(set(a)) == 1 and len(set(b)) == 1
    assert set(a) != set(b)  # other who, where and when: another story
