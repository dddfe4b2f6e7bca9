"""A labelled set for the attribution detector, written for wiretrace (no publisher's text).

Each case: (name, text, outlets known to the caller, the names the text credits).
An empty set means the text presents itself as its own, or only mentions an
agency or outlet without crediting it. The conventions follow real wire copy in
several languages; the people, places and events are invented.
"""

from __future__ import annotations

CASES: list[tuple[str, str, tuple[str, ...], set[str]]] = [
    # --- wire datelines --------------------------------------------------------
    ("ap-dateline", "KESTERFIELD, Norvale (AP) — Rail inspectors closed the viaduct on Tuesday.", (), {"AP"}),
    ("reuters-dateline", "LONDON (Reuters) - Shares in the shipping group fell 4% on Monday.", (), {"Reuters"}),
    ("afp-dateline", "PARIS, March 3, 2026 (AFP) - Farmers blocked three motorways on Friday.", (), {"AFP"}),
    ("xinhua-slashes", "BEIJING, March 9 (Xinhua) -- A new rail line opened on Sunday.", (), {"Xinhua"}),
    ("xinhua-slash-form", "NAIROBI, March 9 /Xinhua/ -- Kenya's central bank held its rate.", (), {"Xinhua"}),
    ("dpa-german", "BERLIN (dpa) - Die Bahn hat am Montag neue Fahrpläne vorgestellt.", (), {"dpa"}),
    ("joint-dateline", "BRUSSELS (dpa/AFP) - EU ministers met late into the night.", (), {"dpa", "AFP"}),
    ("efe-spanish", "MADRID, 4 mar (EFE).- El Gobierno aprobó este martes el nuevo plan.", (), {"EFE"}),
    ("ansa-italian", "ROMA, 5 MAR (ANSA) - Il governo ha approvato il decreto.", (), {"ANSA"}),
    ("tass-russian", "МОСКВА, 6 марта. /ТАСС/. Правительство утвердило новый план.", (), {"TASS"}),
    ("yonhap", "SEOUL, March 7 (Yonhap) -- South Korea's exports rose in February.", (), {"Yonhap"}),
    ("pti-dateline", "NEW DELHI, Mar 8 (PTI) The Supreme Court on Friday stayed the order.", (), {"PTI"}),
    ("kyodo", "TOKYO (Kyodo) -- The government plans to raise the minimum wage.", (), {"Kyodo"}),
    ("bernama", "KUALA LUMPUR, March 8 (Bernama) -- The ringgit opened higher.", (), {"Bernama"}),
    # --- sign-offs, bylines, agency conventions -------------------------------------
    ("reuters-signoff", "The port reopened on Wednesday after a two-day strike.\n— Reuters", (), {"Reuters"}),
    ("afp-signoff", "Talks will resume next week, officials said. - AFP", (), {"AFP"}),
    (
        "reuters-reporting-editing",
        "Exports fell for a third month.\n(Reporting by Ana Lind; Editing by Tom Hale)",
        (),
        {"Reuters"},
    ),
    (
        "reuters-additional-reporting",
        "The vote is due on Thursday. (Additional reporting by Ivo Marsh in Brannock; Writing by Lea Dunn)",
        (),
        {"Reuters"},
    ),
    ("ap-byline", "By MARTA OSEI Associated Press\nThe council voted to close the library.", (), {"AP"}),
    ("ap-writer", "Jon Reyes, AP Business Writer\nRetail sales rose 0.4% in February.", (), {"AP"}),
    (
        "ap-contributed",
        "The storm moved east overnight. Associated Press writer Kim Vale contributed to this report.",
        (),
        {"AP"},
    ),
    ("copyright-afp", "Fishermen returned to port early. © AFP 2026", (), {"AFP"}),
    ("copyright-ap", "Copyright 2026 The Associated Press. All rights reserved.", (), {"AP"}),
    ("with-afp", "The minister resigned on Monday evening (with AFP).", (), {"AFP"}),
    ("with-inputs-pti", "The bridge will reopen in May. (With inputs from PTI)", (), {"PTI"}),
    ("ians-source", "The match was called off due to rain.\nSource: IANS", (), {"IANS"}),
    ("german-quelle", "Die Preise stiegen im Februar um 2,1 Prozent. Quelle: dpa", (), {"dpa"}),
    ("spanish-fuente", "La votación se aplazó hasta el jueves. Fuente: EFE", (), {"EFE"}),
    ("french-avec", "Le Premier ministre a démissionné lundi soir, avec AFP.", (), {"AFP"}),
    ("via-reuters", "Oil prices rose 2% on Tuesday, via Reuters.", (), {"Reuters"}),
    # --- citation, counted as credit -------------------------------------------------
    ("citation-reported", "Reuters reported that the minister had offered to resign.", (), {"Reuters"}),
    ("citation-told", "The official told AFP the talks had stalled.", (), {"AFP"}),
    ("citation-according", "According to Xinhua, the dam will be finished in 2028.", (), {"Xinhua"}),
    ("citation-german", "Laut dpa wurde der Flughafen am Abend geschlossen.", (), {"dpa"}),
    # --- originally-appeared lines and outlets -------------------------------------------
    (
        "originally-appeared-outlet",
        "Water use fell by a third.\nThis article originally appeared in the Meridian Press.",
        ("meridianpress.example",),
        {"meridianpress.example"},
    ),
    (
        "first-published-unknown",
        "The festival sold out in an hour. This story was first published by Lowland Review.",
        (),
        {"Lowland Review"},
    ),
    (
        "republished-permission",
        "Republished with permission from Northline Wire. Reservoirs stood at 41% of capacity.",
        ("northlinewire.example",),
        {"northlinewire.example"},
    ),
    (
        "outlet-with-suffix",
        "This story was originally published by Meridian Press Agency.",
        ("meridianpress.example",),
        {"meridianpress.example"},
    ),
    (
        "outlet-domain",
        "Reservoirs stood at 41% of capacity, northlinewire.example said on Monday.",
        ("northlinewire.example",),
        {"northlinewire.example"},
    ),
    (
        "outlet-name-cited",
        "As Harbour Times reported this morning, the berths remain closed.",
        ("harbourtimes.example",),
        {"harbourtimes.example"},
    ),
    (
        "french-paru",
        "La ville a fermé le pont. Cet article est paru initialement dans Le Courrier Alpin.",
        (),
        {"Le Courrier Alpin"},
    ),
    # --- no credit: the text presents itself as its own, or only mentions ---------------------
    ("plain-copy", "Rail inspectors closed the viaduct on Tuesday after finding cracks in two piers.", (), set()),
    (
        "pti-party",
        "PTI leader Imran Khan addressed supporters in Lahore on Sunday.",
        (),
        set(),
    ),
    ("afp-police", "AFP officers arrested two men at Sydney airport on Friday.", (), set()),
    ("upi-payments", "UPI payments crossed 10 billion transactions in a month for the first time.", (), set()),
    ("ap-stylebook", "Our editors follow the AP Stylebook for abbreviations.", (), set()),
    ("reuters-journalists", "Two Reuters journalists were freed after 500 days in prison.", (), set()),
    (
        "other-outlet-not-in-story",
        "Residents queued for water as the heatwave continued into a third week.",
        ("meridianpress.example",),
        set(),
    ),
    ("lowercase-ap", "The app was updated; ap and afp in lower case are not agencies here.", (), set()),
    ("italian-no-credit", "Il governo ha approvato il decreto martedì sera dopo un lungo dibattito.", (), set()),
    ("spanish-no-credit", "El Gobierno aprobó este martes el nuevo plan de vivienda.", (), set()),
]
