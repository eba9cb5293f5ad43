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
