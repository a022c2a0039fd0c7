"""The one table from the scheme's trigger labels to ACLED's event types and sub-event types.

A trigger label gives the event type; the trigger's words (and, for a change of
territory, whether the side that takes it is a state force) give the sub-event
type. ACLED's names are kept exactly (ACLED Codebook, event types).

| trigger label | event_type | sub_event_type (rule) |
|---|---|---|
| BATTLE | Battles | Armed clash |
| TERRITORY | Battles | Government regains territory (state forces) / Non-state actor overtakes territory |
| AIRSTRIKE | Explosions/Remote violence | Air/drone strike |
| EXPLOSION | Explosions/Remote violence | Suicide bomb / Grenade / Shelling/artillery/missile attack / Remote explosive/landmine/IED |
| CIVILIAN_HARM | Violence against civilians | Abduction/forced disappearance / Attack |
| DISPLACEMENT | Strategic developments | Other |
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BATTLES = "Battles"
REMOTE = "Explosions/Remote violence"
CIVILIANS = "Violence against civilians"
STRATEGIC = "Strategic developments"


@dataclass(frozen=True)
class Rule:
    """A sub-event type chosen when the pattern matches the trigger words (``None``: the default)."""

    sub_event_type: str
    pattern: str | None = None


@dataclass(frozen=True)
class Mapping:
    event_type: str
    rules: tuple[Rule, ...]  # first match wins; the last rule has no pattern


TABLE: dict[str, Mapping] = {
    "BATTLE": Mapping(BATTLES, (Rule("Armed clash"),)),
    # Decided by who takes the ground, see sub_event_type().
    "TERRITORY": Mapping(BATTLES, (Rule("Non-state actor overtakes territory"),)),
    "AIRSTRIKE": Mapping(REMOTE, (Rule("Air/drone strike"),)),
    "EXPLOSION": Mapping(REMOTE, (
        Rule("Suicide bomb", r"suicide"),
        Rule("Grenade", r"grenade"),
        Rule("Shelling/artillery/missile attack", r"shell|artiller|mortar|rocket|missile|howitzer|bombard|pound|cannon"),
        Rule("Remote explosive/landmine/IED"),
    )),
    "CIVILIAN_HARM": Mapping(CIVILIANS, (
        Rule("Abduction/forced disappearance", r"kidnap|abduct|hostage|captiv|disappear|taken away|seized .*(civilian|people)"),
        Rule("Attack"),
    )),
    "DISPLACEMENT": Mapping(STRATEGIC, (Rule("Other"),)),
}
GOVERNMENT_REGAINS = "Government regains territory"

# Words that make an actor a state force (the army, police, a government, a state's air arm), for TERRITORY.
STATE_FORCE = re.compile(
    r"\b(army|armed forces|military|troops|soldiers|police|security forces|government|regime|ministry|"
    r"national guard|defen[cs]e forces|counter-terrorism service|cts|idf|saa|forces of|marines|navy|air force|"
    r"joint operations command|presidential guard|gendarmerie|coalition|peshmerga|hashd|popular mobili[sz]ation)\b",
    re.IGNORECASE,
)
# Non-state groups named like forces ("Syrian Democratic Forces" is not a state's): these win over the above.
NON_STATE = re.compile(
    r"\b(islamic state|isil|isis|daesh|is|al-qaeda|al-qaida|al-nusra|nusra|hamas|hezbollah|houthi|taliban|"
    r"al-shabaab|boko haram|rebels?|militants?|militias?|insurgents?|jihadists?|syrian democratic forces|sdf|ypg|"
    r"free syrian army|fsa|opposition|fighters|gunmen|jaish|ahrar|tahrir|m23|rsf|wagner)\b",
    re.IGNORECASE,
)


# A nationality before forces names a state's forces ("Iraqi forces", "Russian troops").
NATIONAL_FORCE = re.compile(r"\b[A-Z][a-z]+(?:i|an|ese|ish)\s+(?:forces|troops|soldiers|units|warplanes|aircraft|jets)\b")


def is_state_force(actor: str) -> bool:
    return bool(actor) and bool(STATE_FORCE.search(actor) or NATIONAL_FORCE.search(actor)) and not NON_STATE.search(actor)


# When triggers of several labels describe one incident, the event takes the label first in this list.
PRECEDENCE = ("TERRITORY", "BATTLE", "AIRSTRIKE", "EXPLOSION", "CIVILIAN_HARM", "DISPLACEMENT")


def main_label(labels: list[str]) -> str:
    return min(labels, key=lambda label: PRECEDENCE.index(label) if label in PRECEDENCE else len(PRECEDENCE))


def event_type(label: str) -> str:
    return TABLE[label].event_type


def sub_event_type(label: str, trigger_words: list[str], actor1: str = "", actor2: str = "") -> str:
    """The sub-event type; for TERRITORY, who takes the ground: a state force (or, with no taker named,
    ground taken from a non-state group) is the government regaining territory."""
    if label == "TERRITORY" and (is_state_force(actor1) or (not actor1 and bool(NON_STATE.search(actor2)))):
        return GOVERNMENT_REGAINS
    words = " ".join(trigger_words).lower()
    for rule in TABLE[label].rules:
        if rule.pattern is None or re.search(rule.pattern, words):
            return rule.sub_event_type
    return TABLE[label].rules[-1].sub_event_type


def markdown_table() -> str:
    """The mapping as the docs show it (generated, like the label table)."""
    lines = ["| trigger label | event_type | sub_event_type (first match on the trigger's words) |", "|---|---|---|"]
    for label, mapping in TABLE.items():
        subs = [f"{r.sub_event_type} (`{r.pattern}`)" if r.pattern else r.sub_event_type for r in mapping.rules]
        if label == "TERRITORY":
            subs = [f"{GOVERNMENT_REGAINS} (actor1 is a state force)", *subs]
        lines.append(f"| `{label}` | {mapping.event_type} | {'; '.join(subs)} |")
    return "\n".join(lines) + "\n"
