"""Fixture texts written for wiretrace's tests (fictional people, places and agencies)."""

WIRE_PARAGRAPHS = [
    "PORT ALDER (Coastline Wire Service) - The regional water authority in Port Alder said on Tuesday it "
    "would spend 48 million crowns replacing the city's oldest pumping station, after two breakdowns in "
    "three winters left the northern districts without running water for days.",
    "The new station, to be built on reclaimed land beside the ferry terminal, is due to open in the spring "
    "of 2029, the authority's chief engineer, Mirela Dunstan, told reporters at a briefing in the harbour office.",
    '"We have patched the old pumps for as long as anyone could reasonably expect, and the winter of the '
    'burst mains showed that patching is no longer a plan," Dunstan said, standing beside a cracked valve '
    "housing that the utility has put on display in its lobby.",
    "Residents of the northern districts have campaigned for a replacement since the first failure, when "
    "frozen pipes split under the old station's floor and crews took four days to restore pressure to "
    "some eleven thousand homes.",
    "The council's finance committee approved the spending last month by seven votes to two. The two members "
    "who voted against said the authority should first publish an independent survey of the pipes that "
    "feed the station, some of which were laid before the war.",
    "Under the plan, water bills will rise by about three percent a year for four years. Households on the "
    "lowest incomes will be protected by an expanded discount scheme, the authority said, and businesses in "
    "the harbour zone will pay a separate connection levy.",
    "Work on the foundations is expected to begin in August, once the ferry operator has moved its freight "
    "yard to a temporary site on the eastern quay. Contractors have been told to keep the old station "
    "running until the new pumps have passed a full winter of testing.",
    "Environmental groups broadly welcomed the project but asked the authority to use the rebuild to cut "
    "leakage, which its own figures put at nearly a fifth of all water pumped into the network each year.",
]
WIRE_STORY = "\n\n".join(WIRE_PARAGRAPHS)

UNRELATED_STORY = "\n\n".join(
    [
        "The Millbrook Rovers kept their slim hopes of promotion alive on Saturday with a late winner against "
        "Easthaven, a header from the substitute Tomas Reyne deep into stoppage time sending the home crowd "
        "into raptures.",
        "For most of the afternoon the match looked destined for a goalless draw. Easthaven defended deep, "
        "their goalkeeper saving twice from close range, and the Rovers' midfield struggled to find a way "
        "through a crowded penalty area.",
        "The manager, Ada Felling, made three changes on the hour and the pressure finally told when a corner "
        "from the left found Reyne unmarked at the far post. The Rovers now sit four points behind the "
        "playoff places with six games left to play.",
        "Next week the team travel to Grayfield, who have not lost at home since the autumn and will be "
        "without their captain, suspended after a red card in midweek.",
    ]
)

# The same event as WIRE_STORY, reported independently in other words.
INDEPENDENT_STORY = "\n\n".join(
    [
        "Port Alder's northern neighbourhoods should finally get reliable taps: the city's water utility has "
        "committed 48 million crowns to a pumping plant that will replace the ageing facility blamed for "
        "repeated winter outages.",
        "Chief engineer Mirela Dunstan unveiled the scheme at the harbour office, describing years of "
        "emergency repairs that had run their course. A cracked piece of valve equipment now sits in the "
        "utility's reception as a reminder of the failures.",
        "Construction of the replacement, sited on reclaimed ground near the ferry port, should be finished "
        "in 2029. Bills are set to climb modestly over the coming years, with poorer households shielded "
        "through a bigger discount programme.",
        "Not every councillor was persuaded. Two of the nine members on the finance panel opposed the outlay, "
        "arguing that the feeder pipes, parts of which are very old, deserved an outside inspection before "
        "any money was committed.",
    ]
)

QUOTATION = (
    '"We will not accept any settlement that leaves the fishing communities of the northern coast worse off '
    "than they were before the quotas were introduced, and we will say so at every meeting until the "
    "ministry listens,\" the federation's chair said."
)

BOILERPLATE_FOOTER = (
    "Sign up for the Harbour Gazette morning briefing and get the day's top stories delivered to your inbox "
    "before breakfast, every weekday, free of charge.\n\n"
    "Copyright 2026 Harbour Gazette Media Group. All rights reserved. This material may not be published, "
    "broadcast, rewritten or redistributed without written permission."
)

FURNITURE = (
    "Home | World | Business | Sport | Weather\n\nWe use cookies to improve your experience on the Harbour "
    "Gazette website. Accept all cookies or manage your settings in the privacy centre at any time.\n\n"
    "Related stories: Council approves harbour budget; Ferry timetable changes next week; Storm warning for "
    "the coast\n\nPhoto: the old pumping station, pictured last winter by our staff photographer."
)

# Five different stories of one outlet, each framed by FURNITURE: enough
# stories for the furniture to count as that outlet's boilerplate.
FURNISHED_STORIES = [
    f"{FURNITURE}\n\n{story}\n\n{FURNITURE}"
    for story in (
        UNRELATED_STORY,
        INDEPENDENT_STORY,
        "\n\n".join(WIRE_PARAGRAPHS[0:2]),
        "\n\n".join(WIRE_PARAGRAPHS[2:5]),
        "\n\n".join(WIRE_PARAGRAPHS[5:8]),
    )
]
