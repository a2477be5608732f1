"""The example study's design: its places, phases, codebook and survey items, and the seed.

Places are real (ONS codes and mid-2020 population estimates, OGL v3); everything else in the
example is invented. See :mod:`analysis.example`.
"""

from __future__ import annotations

__all__ = ["DEFAULT_SEED", "PLACES", "PHASES", "PHASE_IDS", "POSTCODE_DISTRICTS", "THEMES", "SURVEY_ITEMS",
           "SUPPRESSED_SURVEY_CELLS"]

DEFAULT_SEED = 2020

# --------------------------------------------------------------------------------------
# Places and phases (facts: ONS codes and mid-2020 population estimates, OGL v3)
# --------------------------------------------------------------------------------------

#: place_id -> (name, ONS code, area type, region, mid-2020 population)
PLACES = {
    "buckinghamshire": ("Buckinghamshire", "E06000060", "Unitary Authority", "South East", 547060),
    "coventry": ("Coventry", "E08000026", "Metropolitan District", "West Midlands", 379387),
    "sutton": ("Sutton", "E09000029", "London Borough", "London", 207707),
}

#: phase_id -> (label, start, end, description), in time order; windows do not overlap.
PHASES = {
    "baseline": ("Baseline (before Covid-19)", "2019-04-01", "2020-03-15",
                 "The year before the first lockdown, as partners recalled it in the first interviews."),
    "emergency": ("Emergency response", "2020-03-16", "2020-06-30",
                  "The first lockdown and the immediate response, spring 2020."),
    "interim": ("Interim", "2020-07-01", "2020-10-31",
                "Easing of restrictions and early recovery planning, summer and autumn 2020."),
    "final": ("Final", "2020-11-01", "2021-03-31",
              "The second and third lockdowns and the winter of 2020-21."),
}
PHASE_IDS = tuple(PHASES)

#: Postcode districts wholly or mostly inside each place (used to place grants by postcode).
POSTCODE_DISTRICTS = {
    "buckinghamshire": [*(f"HP{n}" for n in range(5, 23)), "HP27", "MK18", "SL0", "SL7", "SL8", "SL9"],
    "coventry": ["CV1", "CV2", "CV3", "CV4", "CV5", "CV6"],
    "sutton": ["SM1", "SM2", "SM3", "SM5", "SM6"],
}

# --------------------------------------------------------------------------------------
# Codebook and survey
# --------------------------------------------------------------------------------------

#: theme_id -> (label, dimension, description)
THEMES = {
    "partnership_working": ("Partnership working", "ways_of_working",
                            "Organisations planning and delivering together across sectors."),
    "shared_purpose": ("Shared purpose", "attitudes",
                       "A common aim that partners recognise and put ahead of their own."),
    "permission_to_focus": ("Permission to focus", "ways_of_working",
                            "Staff being allowed to concentrate on one priority rather than many demands."),
    "local_leadership": ("Local leadership", "governance",
                         "Leaders in public bodies, charities and communities who give changes momentum."),
    "online_working": ("Online working", "ways_of_working",
                       "Meeting and coordinating online, and what that changes about who talks to whom."),
    "trust": ("Trust", "attitudes",
              "Confidence that partners will be reliable, share the mission and be open."),
    "honesty_transparency": ("Honesty and transparency", "attitudes",
                             "Being candid with partners, and clarity about how decisions are made."),
    "power_balance": ("Power balance", "governance",
                      "Whether the VCSE is treated as an equal partner or as a provider to be managed."),
    "capacity_burnout": ("Capacity and burnout", "ways_of_working",
                         "Whether people and organisations have the time and energy the work asks of them."),
    "vcse_representation": ("VCSE representation", "governance",
                            "Voluntary and community organisations' seats and voice where decisions are made."),
    "funding_process": ("Funding process", "funding",
                        "How money reaches local organisations: routes, speed, conditions and who designs them."),
}

#: item_id -> (text, theme_id, reverse)
SURVEY_ITEMS = {
    "Q01": ("Organisations in this area are working towards the same goals.", "shared_purpose", False),
    "Q02": ("I can count on partner organisations here to do what they say they will.", "trust", False),
    "Q03": ("Decisions that affect my organisation are made without us.", "power_balance", True),
    "Q04": ("Voluntary and community organisations have a real voice on the boards that matter here.",
            "vcse_representation", False),
    "Q05": ("Our staff and volunteers are stretched beyond what we can sustain.", "capacity_burnout", True),
    "Q06": ("Meeting online makes it easier to reach the people I need.", "online_working", False),
    "Q07": ("Getting local funding takes more effort than the money is worth.", "funding_process", True),
    "Q08": ("Partners are open with each other about what they can and cannot do.", "honesty_transparency", False),
    "Q09": ("We plan and deliver services together with organisations from other sectors.",
            "partnership_working", False),
}

#: (place_id, phase_id, item_id) -> how many respondents answer it: cells deliberately below
#: the disclosure threshold of 5, so suppression has something to suppress.
SUPPRESSED_SURVEY_CELLS = {
    ("sutton", "baseline", "Q07"): 4,
    ("coventry", "interim", "Q06"): 3,
    ("buckinghamshire", "final", "Q03"): 4,
}
