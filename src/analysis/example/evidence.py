"""The example's coded evidence: invented excerpts from interviews and documents, by theme and phase."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.example.design import PHASE_IDS, PLACES
from analysis.example.organisations import COUNCILS
from analysis.schema import TABLES

__all__ = ["evidence"]

_GENERIC = {
    "pw_shift": ("shift", "partnership_working", "positive", "emerging",
                 "Partners in {place} began meeting every week across sectors to share out the emergency work."),
    "pw_established": ("shift", "partnership_working", "positive", "established",
                       "Cross-sector meetings set up in the spring have become a routine part of how {place} "
                       "organises local support."),
    "sp_enabler": ("enabler", "shared_purpose", "positive", "emerging",
                   "The urgency of the crisis gave public and voluntary bodies in {place} one common aim, which "
                   "made it easier to agree who does what."),
    "pf_enabler": ("enabler", "permission_to_focus", "positive", "emerging",
                   "With routine targets paused, VCSE staff in {place} were allowed to concentrate on a single "
                   "priority instead of juggling several contracts."),
    "ll_enabler": ("enabler", "local_leadership", "positive", "emerging",
                   "Named leaders at {council} and {infra} kept up momentum by deciding quickly and vouching for "
                   "each other's teams."),
    "ll_residents": ("enabler", "local_leadership", "positive", "emerging",
                     "Residents who organised street-level help in {place} acted as leaders and drew larger "
                     "organisations in behind them."),
    "ow_enabler": ("enabler", "online_working", "positive", "emerging",
                   "Video calls let people in {place} hold shorter, more frequent and more targeted conversations "
                   "than meetings in person had allowed."),
    "ow_flat": ("enabler", "online_working", "positive", "established",
                "Online meetings flattened hierarchies in {place}: frontline workers and chief officers spoke in "
                "the same virtual room."),
    "cb_emergency": ("threat", "capacity_burnout", "negative", "emerging",
                     "Small charities in {place} describe staff and volunteers working long hours without a break "
                     "since March."),
    "tr_shift": ("shift", "trust", "positive", "emerging",
                 "Organisations in {place} say they rely on each other's word more, passing on referrals and data "
                 "without waiting for formal agreements."),
}

_SPECIFIC = {
    "buckinghamshire": {
        "vr_base": ("threat", "vcse_representation", "negative", "established",
                    "Before 2020 the voluntary sector held very few seats on the council-led boards where local "
                    "priorities were set."),
        "fp_base": ("threat", "funding_process", "negative", "established",
                    "VCSE organisations recalled competitive bidding for small pots taking time they could not "
                    "spare."),
        "vr_emergency": ("shift", "vcse_representation", "positive", "emerging",
                         "The VCSE gained seats on the new Covid-19 Community Response Board, and {infra} was asked "
                         "to chair it."),
        "tr_dialogue": ("shift", "trust", "positive", "emerging",
                        "Dialogue between {council} and the voluntary sector became more open, with problems raised "
                        "early rather than saved for formal reviews."),
        "vr_interim": ("shift", "vcse_representation", "positive", "established",
                       "VCSE members now chair two of the county's response groups and set agenda items alongside "
                       "council officers."),
        "cb_interim_1": ("threat", "capacity_burnout", "negative", "emerging",
                         "Board members from small charities say the number of meetings has grown faster than "
                         "their capacity to attend."),
        "cb_interim_2": ("threat", "capacity_burnout", "negative", "emerging",
                         "Volunteer coordinators report fatigue after months of emergency work and expect to lose "
                         "volunteers as furlough ends."),
        "cb_interim_3": ("threat", "capacity_burnout", "negative", "at_risk",
                         "Participants warn that engagement will drop if partnership meetings come to feel less "
                         "focused and productive."),
        "cb_mitigation_interim": ("mitigation", "capacity_burnout", "positive", "emerging",
                                  "The response board split its work into small task-focused subgroups so that each "
                                  "member attends fewer, shorter meetings."),
        "vr_final": ("shift", "vcse_representation", "positive", "established",
                     "VCSE places on council boards have held through the winter and are now treated as normal."),
        "cb_final_1": ("threat", "capacity_burnout", "negative", "at_risk",
                       "The second lockdown pushed staff back into emergency mode before they had recovered from "
                       "the first wave."),
        "cb_final_2": ("threat", "capacity_burnout", "negative", "at_risk",
                       "Several VCSE leaders describe themselves as close to burnout and are stepping back from "
                       "optional groups."),
        "cb_final_3": ("threat", "capacity_burnout", "negative", "at_risk",
                       "Attendance at the response board fell over the winter as the same few people were asked "
                       "to cover every subgroup."),
        "cb_final_4": ("threat", "capacity_burnout", "negative", "emerging",
                       "Groups without paid staff say they cannot keep up with requests for information from "
                       "several partnerships at once."),
        "cb_final_5": ("threat", "capacity_burnout", "negative", "emerging",
                       "Illness and caring duties among staff cut capacity just as winter demand rose."),
        "vr_threat_final": ("threat", "vcse_representation", "negative", "at_risk",
                            "With the same VCSE representatives on every board, the sector's voice rests on a few "
                            "tired individuals."),
        "fp_final": ("threat", "funding_process", "negative", "emerging",
                     "Funding for the VCSE's coordinating role ends in March and no successor arrangement has been "
                     "agreed."),
        "cb_mitigation_final": ("mitigation", "capacity_burnout", "positive", "emerging",
                                "Subgroups now meet only when a decision is due, and notes are circulated so others "
                                "need not attend."),
        "vr_mitigation_final": ("mitigation", "vcse_representation", "positive", "emerging",
                                "The board invited organisations not involved before, to share the load and bring "
                                "fresh energy."),
    },
    "coventry": {
        "pb_base": ("threat", "power_balance", "negative", "established",
                    "Before the crisis, the council and the VCSE related mainly as commissioner and contracted "
                    "provider."),
        "ht_base": ("threat", "honesty_transparency", "negative", "established",
                    "VCSE leaders recalled having little sight of how council priorities were decided before "
                    "2020."),
        "pw_base": ("enabler", "partnership_working", "mixed", "established",
                    "A handful of long-standing links between {council} and larger charities existed, but there "
                    "was little joint planning."),
        "pb_emergency": ("shift", "power_balance", "positive", "emerging",
                         "VCSE organisations say they were treated as equal partners in planning the response, not "
                         "only as providers."),
        "ht_emergency": ("shift", "honesty_transparency", "positive", "emerging",
                         "Partners describe more honesty, acceptance and patience with one another, including about "
                         "mistakes."),
        "pb_interim": ("shift", "power_balance", "mixed", "at_risk",
                       "The sense of partnership between equals persists, but some VCSE leaders notice the old "
                       "contract-management tone returning."),
        "fp_interim": ("threat", "funding_process", "negative", "emerging",
                       "VCSE organisations are unsure how recovery money will be allocated and who sets the "
                       "priorities."),
        "ht_established": ("shift", "honesty_transparency", "positive", "established",
                           "Candour between partners has lasted beyond the first wave and eases difficult "
                           "conversations."),
        "ht_mitigation_interim": ("mitigation", "honesty_transparency", "positive", "emerging",
                                  "Council officers and VCSE leads set up direct lines of contact so that questions "
                                  "need not wait for formal meetings."),
        "pb_final_1": ("threat", "power_balance", "negative", "at_risk",
                       "As recovery planning returns to formal commissioning, the council again sets the terms and "
                       "the VCSE responds."),
        "pb_final_2": ("threat", "power_balance", "negative", "at_risk",
                       "VCSE leaders report being consulted after decisions are taken rather than involved in "
                       "taking them."),
        "pb_final_3": ("threat", "power_balance", "negative", "emerging",
                       "The customary balance between commissioner and provider is reasserting itself in contract "
                       "talks."),
        "ht_final_1": ("threat", "honesty_transparency", "negative", "at_risk",
                       "The VCSE sees little transparency in how the council now sets priorities and allocates "
                       "funds."),
        "ht_final_2": ("threat", "honesty_transparency", "negative", "emerging",
                       "Council staff say budget pressures make it hard to be open about what can be funded next "
                       "year."),
        "fp_final": ("threat", "funding_process", "negative", "emerging",
                     "The council's own financial pressures and competing priorities are squeezing grants to "
                     "community groups."),
        "pb_reverted": ("shift", "power_balance", "negative", "reverted",
                        "The equal footing felt in the spring has largely given way to the pattern from before the "
                        "pandemic."),
        "pb_mitigation_final": ("mitigation", "power_balance", "positive", "emerging",
                                "Partners propose a shared space where the council and the VCSE can put concerns "
                                "on the table and work through them together."),
        "ht_mitigation_final": ("mitigation", "honesty_transparency", "positive", "emerging",
                                "More direct communication between council teams and individual organisations is "
                                "keeping the collaboration going."),
    },
    "sutton": {
        "fp_base": ("threat", "funding_process", "negative", "established",
                    "Before the pandemic, council funding for charities usually came through long tendering "
                    "rounds."),
        "tr_base": ("threat", "trust", "mixed", "established",
                    "Relations between the council and smaller charities were cordial but cautious, with little "
                    "informal sharing."),
        "pw_base": ("enabler", "partnership_working", "positive", "established",
                    "Because the borough is small, many leaders already knew each other, which made fast "
                    "cooperation possible when the crisis came."),
        "tr_emergency_1": ("shift", "trust", "positive", "emerging",
                           "Trust between organisations in Sutton rose sharply during the first lockdown and "
                           "underpinned other changes."),
        "tr_emergency_2": ("shift", "trust", "positive", "emerging",
                           "Council and VCSE staff shared information about residents at risk quickly, on the "
                           "strength of personal trust."),
        "fp_emergency": ("shift", "funding_process", "positive", "emerging",
                         "The council opened a quick route to funds for charities, with decisions in days rather "
                         "than months."),
        "tr_interim": ("shift", "trust", "positive", "established",
                       "The working trust built in the spring still shapes how partners handle referrals."),
        "fp_interim": ("threat", "funding_process", "negative", "emerging",
                       "With the emergency easing, the council is preparing to return to full tendering for "
                       "community contracts."),
        "pb_interim": ("threat", "power_balance", "negative", "emerging",
                       "Some charities fear that older power dynamics will resurface once the council is back in "
                       "the commissioner's seat."),
        "fp_mitigation_interim": ("mitigation", "funding_process", "positive", "emerging",
                                  "A small pilot let VCSE representatives help design the criteria for a round of "
                                  "recovery grants."),
        "fp_final_1": ("threat", "funding_process", "negative", "at_risk",
                       "Lengthy tenders have returned for several services, and decisions take months again."),
        "fp_final_2": ("threat", "funding_process", "negative", "emerging",
                       "Small groups say the paperwork for the new procurement round is beyond their capacity."),
        "tr_final": ("threat", "trust", "negative", "at_risk",
                     "Partners warn that the trust built during the crisis could break if slow tendering becomes "
                     "the norm again."),
        "pb_final_1": ("threat", "power_balance", "negative", "at_risk",
                       "Old power dynamics between the council and providers are visible again in contract "
                       "negotiations."),
        "pb_final_2": ("threat", "power_balance", "negative", "emerging",
                       "VCSE organisations feel less able to challenge the council now that funding depends on "
                       "tender outcomes."),
        "cb_final": ("threat", "capacity_burnout", "negative", "emerging",
                     "Staff at community groups are stretched by winter demand on top of the new procurement "
                     "workload."),
        "fp_reverted": ("shift", "funding_process", "negative", "reverted",
                        "The fast-track route to funds used in the spring has closed."),
        "fp_mitigation_final_1": ("mitigation", "funding_process", "positive", "emerging",
                                  "The council is co-producing the design of its next grants round with VCSE "
                                  "organisations."),
        "fp_mitigation_final_2": ("mitigation", "funding_process", "positive", "emerging",
                                  "Some awards are now decided by a joint panel of council and VCSE members, which "
                                  "keeps decisions short."),
        "tr_mitigation_final": ("mitigation", "trust", "positive", "emerging",
                                "Partners agreed to co-produce process changes beyond the Covid-19 response so the "
                                "trust they built is used."),
    },
}

#: Which observations each place has in each phase (keys into _GENERIC or the place's _SPECIFIC).
_EVIDENCE_PLAN = {
    "buckinghamshire": {
        "baseline": ["vr_base", "fp_base"],
        "emergency": ["pw_shift", "vr_emergency", "tr_dialogue", "sp_enabler", "pf_enabler", "ll_enabler",
                      "ow_enabler", "cb_emergency"],
        "interim": ["pw_established", "vr_interim", "ow_flat", "cb_interim_1", "cb_interim_2", "cb_interim_3",
                    "cb_mitigation_interim"],
        "final": ["vr_final", "cb_final_1", "cb_final_2", "cb_final_3", "cb_final_4", "cb_final_5",
                  "vr_threat_final", "fp_final", "cb_mitigation_final", "vr_mitigation_final"],
    },
    "coventry": {
        "baseline": ["pb_base", "ht_base", "pw_base"],
        "emergency": ["pw_shift", "pb_emergency", "ht_emergency", "tr_shift", "sp_enabler", "ll_residents",
                      "ow_enabler", "pf_enabler", "cb_emergency"],
        "interim": ["pw_established", "pb_interim", "ht_established", "ow_flat", "fp_interim",
                    "ht_mitigation_interim"],
        "final": ["pb_reverted", "pb_final_1", "pb_final_2", "pb_final_3", "ht_final_1", "ht_final_2",
                  "fp_final", "pb_mitigation_final", "ht_mitigation_final"],
    },
    "sutton": {
        "baseline": ["fp_base", "tr_base", "pw_base"],
        "emergency": ["pw_shift", "tr_emergency_1", "tr_emergency_2", "fp_emergency", "sp_enabler", "ll_enabler",
                      "ow_enabler", "pf_enabler", "cb_emergency"],
        "interim": ["tr_interim", "pw_established", "ow_flat", "fp_interim", "pb_interim",
                    "fp_mitigation_interim"],
        "final": ["fp_reverted", "fp_final_1", "fp_final_2", "tr_final", "pb_final_1", "pb_final_2", "cb_final",
                  "fp_mitigation_final_1", "fp_mitigation_final_2", "tr_mitigation_final"],
    },
}

#: Invented quotes by theme (attached to some observations; only some with consent).
_QUOTES = {
    "partnership_working": ["We stopped asking whose job it was and just picked up the phone.",
                            "For once everyone was round the same table, even if the table was a screen."],
    "shared_purpose": ["There was one thing that mattered, and everybody knew what it was."],
    "permission_to_focus": ["Nobody asked me for a monitoring report for three months, so I could do the work."],
    "local_leadership": ["It helped that the people at the top trusted us to get on with it."],
    "online_working": ["I can get five people on a call in ten minutes now; that used to take a fortnight."],
    "trust": ["We shared lists of names on a handshake, which would have been unthinkable a year ago.",
              "If that goodwill goes, it will take years to build again."],
    "honesty_transparency": ["People were willing to say 'we got that wrong' and move on.",
                             "We still don't know who decided where the recovery money goes."],
    "power_balance": ["In April we were partners. By December we were suppliers again.",
                      "It feels like we are being told, not asked."],
    "capacity_burnout": ["I have been on every call since March and I am running on empty.",
                         "We can't send someone to six different groups."],
    "vcse_representation": ["Having a seat at that table changed what got discussed."],
    "funding_process": ["We had the money in a week. Now the tender runs to forty pages."],
}


def evidence(rng: np.random.Generator, orgs: pd.DataFrame) -> pd.DataFrame:
    """Coded observations per place and phase, following the evidence plan."""
    rows = []
    interview, workshop, document = 0, 0, 0
    serial = 0
    for place_id, plan in _EVIDENCE_PLAN.items():
        council = COUNCILS[place_id][1]
        infra = orgs.loc[(orgs["place_id"] == place_id) & (orgs["sector"] == "vcse_infrastructure"), "name"].iloc[0]
        place_interviews = []
        for phase_id in PHASE_IDS:
            workshop += 1
            for key in plan[phase_id]:
                kind, theme, direction, status, summary = _SPECIFIC[place_id].get(key) or _GENERIC[key]
                serial += 1
                draw = rng.random()
                if draw < 0.2:
                    source = f"workshop-{workshop:02d}"
                elif draw < 0.3:
                    document += 1
                    source = f"document-{document:02d}"
                elif place_interviews and rng.random() < 0.35:
                    source = f"interview-{place_interviews[int(rng.integers(len(place_interviews)))]:02d}"
                else:
                    interview += 1
                    place_interviews.append(interview)
                    source = f"interview-{interview:02d}"
                quote, consent = "", ""
                if rng.random() < 0.4:
                    options = _QUOTES[theme]
                    quote = options[int(rng.integers(len(options)))]
                    consent = "true" if rng.random() < 0.65 else "false"
                rows.append((f"EV{serial:03d}", place_id, phase_id, source, kind, theme, direction, status,
                             summary.format(place=PLACES[place_id][0], council=council, infra=infra),
                             quote, consent))
    return pd.DataFrame(rows, columns=TABLES["evidence"].column_names)
