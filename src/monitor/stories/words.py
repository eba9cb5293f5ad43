"""The words of the story features: the stop words (function words, reporting verbs, days and
months) and the hash that turns a term into a vector key."""

from __future__ import annotations

from hashlib import blake2b

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours said says say told according one two
    new news us mr mrs ms dr via per st monday tuesday wednesday thursday friday saturday sunday
    today yesterday tomorrow week weeks day days year years month months time times january
    february march april may june july august september october november december jan feb mar apr
    jun jul aug sep sept oct nov dec people police man woman men women report reports reported pm
    p m""".split()  # noqa: SIM905
)


def term_hash(term: str) -> int:
    """A term's vector key: the first 8 bytes of its BLAKE2b digest, a signed 64-bit integer."""
    return int.from_bytes(blake2b(term.encode(), digest_size=8).digest(), "little", signed=True)
