"""Article texts shared by tests: a wire story long enough to fingerprint."""

WIRE = (
    "The regional water authority said on Tuesday that it would close the Hollow Creek reservoir "
    "for at least six weeks after inspectors found cracks in the northern spillway. Engineers "
    "from the state dam safety office spent two days examining the concrete and recommended "
    "lowering the water level by four metres before repairs begin. The authority said drinking "
    "water supplies for the 40,000 residents of Millbrook and Harlow would not be affected because "
    "the towns can draw on the Eastfield aquifer during the closure. Local anglers and a rowing "
    "club that use the reservoir were told to remove boats by the end of the month. The repair "
    "contract, worth an estimated 2.3 million dollars, will be tendered next week, officials said, "
    "and work is expected to finish before the autumn rains."
)

# the same event as WIRE, in another outlet's own words (one story with it, not a copy)
HERALD = (
    "Hollow Creek reservoir will be shut for six weeks or more, the regional water authority "
    "announced, after state dam safety inspectors discovered cracks in the northern spillway. "
    "The water level is to be lowered by four metres before engineers start repairs. Residents of "
    "Millbrook and Harlow, about 40,000 people, will keep their drinking water, drawn from the "
    "Eastfield aquifer while the reservoir is closed. Anglers and the rowing club have been asked "
    "to take their boats out by the end of the month. The authority put the cost of the repairs "
    "at 2.3 million dollars and expects the tender next week, with work done before the autumn "
    "rains."
)

# another event altogether
ORCHARD = (
    "A late frost destroyed most of the apricot blossom in the Vellmar valley overnight, growers "
    "said on Thursday, leaving the cooperative of 120 orchards expecting its smallest harvest in "
    "two decades. Temperatures fell to minus four degrees shortly before dawn, and the sprinklers "
    "that coat buds in protective ice ran dry at three farms when a pump station failed. The "
    "cooperative will ask the agriculture ministry for emergency support next week, its chair "
    "said, and seasonal pickers have been told that fewer jobs will be offered this summer."
)
