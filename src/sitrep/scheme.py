"""The label scheme: the one definition every other part derives from.

The Label Studio labeling config, the IOB2 tag list, the model's
``id2label``/``label2id`` and the label table in the docs are all computed
from a :class:`LabelScheme`; nothing else in the project lists labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from xml.sax.saxutils import quoteattr

ENTITY = "entity"
TRIGGER = "trigger"


ACTOR_ROLE, LOCATION_ROLE, CASUALTY_ROLE = "actor", "location", "casualty"


@dataclass(frozen=True)
class SpanLabel:
    name: str
    kind: str  # ENTITY or TRIGGER
    colour: str  # hex colour shared by Label Studio and the HTML reports
    description: str
    # What an entity label is to event coding, reports and augmentation: the actor, the place, the toll.
    role: str = ""


@dataclass(frozen=True)
class LabelScheme:
    span_labels: tuple[SpanLabel, ...]
    # Names of the Label Studio controls; the export's from_name/to_name use them.
    span_control: str = "label"
    choice_control: str = "event_types"
    text_object: str = "text"
    none_choice: str = "NONE"
    version: str = "1"

    def __post_init__(self) -> None:
        names = [label.name for label in self.span_labels]
        if len(set(names)) != len(names):
            raise ValueError(f"label scheme lists a label twice: {names}")
        for label in self.span_labels:
            if label.kind not in (ENTITY, TRIGGER):
                raise ValueError(f"label {label.name}: kind must be {ENTITY!r} or {TRIGGER!r}")

    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.span_labels)

    @cached_property
    def entity_labels(self) -> tuple[str, ...]:
        return tuple(lab.name for lab in self.span_labels if lab.kind == ENTITY)

    @cached_property
    def trigger_labels(self) -> tuple[str, ...]:
        """Trigger labels double as the article-level event types."""
        return tuple(lab.name for lab in self.span_labels if lab.kind == TRIGGER)

    @cached_property
    def event_type_choices(self) -> tuple[str, ...]:
        return (*self.trigger_labels, self.none_choice)

    @cached_property
    def colours(self) -> dict[str, str]:
        return {lab.name: lab.colour for lab in self.span_labels}

    def label_for(self, role: str) -> str:
        """The label that plays ``role`` (actor, location, casualty); code names roles, never labels."""
        for lab in self.span_labels:
            if lab.role == role:
                return lab.name
        raise KeyError(f"the label scheme has no {role} label")

    @cached_property
    def actor_label(self) -> str:
        return self.label_for(ACTOR_ROLE)

    @cached_property
    def location_label(self) -> str:
        return self.label_for(LOCATION_ROLE)

    @cached_property
    def casualty_label(self) -> str:
        return self.label_for(CASUALTY_ROLE)

    def priority(self, name: str) -> int:
        """Lower wins: the spec says to take the label listed first."""
        return self.names.index(name)

    # ---- derived artefacts -------------------------------------------------

    @cached_property
    def bio_tags(self) -> tuple[str, ...]:
        tags = ["O"]
        for name in self.names:
            tags += [f"B-{name}", f"I-{name}"]
        return tuple(tags)

    @cached_property
    def id2label(self) -> dict[int, str]:
        return dict(enumerate(self.bio_tags))

    @cached_property
    def label2id(self) -> dict[str, int]:
        return {tag: i for i, tag in enumerate(self.bio_tags)}

    def to_dict(self) -> dict:
        """What a checkpoint stores, so a later load can detect a mismatch."""
        return {
            "version": self.version,
            "span_labels": list(self.names),
            "event_types": list(self.trigger_labels),
            "none_choice": self.none_choice,
        }

    def labelstudio_xml(self) -> str:
        lines = ["<View>"]
        lines.append(
            f'  <Labels name="{self.span_control}" toName="{self.text_object}" showInline="true">'
        )
        for lab in self.span_labels:
            lines.append(
                f"    <Label value={quoteattr(lab.name)} background={quoteattr(lab.colour)}"
                f" hint={quoteattr(lab.description)}/>"
            )
        lines.append("  </Labels>")
        lines.append(f'  <Text name="{self.text_object}" value="$text" granularity="word"/>')
        lines.append(
            f'  <Choices name="{self.choice_control}" toName="{self.text_object}"'
            ' choice="multiple" showInline="true">'
        )
        for choice in self.event_type_choices:
            lines.append(f"    <Choice value={quoteattr(choice)}/>")
        lines.append("  </Choices>")
        lines.append("</View>")
        return "\n".join(lines) + "\n"

    def markdown_table(self) -> str:
        rows = ["| label | kind | colour | what it marks |", "|---|---|---|---|"]
        for lab in self.span_labels:
            rows.append(f"| `{lab.name}` | {lab.kind} | `{lab.colour}` | {lab.description} |")
        return "\n".join(rows) + "\n"


SCHEME = LabelScheme(
    span_labels=(
        SpanLabel("ACTOR", ENTITY, "#1f77b4",
                  "named organisation, force, armed group, agency or person acting or acted upon", ACTOR_ROLE),
        SpanLabel("LOCATION", ENTITY, "#2ca02c",
                  "named place: country, province, city, village, district, river, site", LOCATION_ROLE),
        SpanLabel("CASUALTY", ENTITY, "#d62728",
                  "quantity of people killed, wounded or found dead (the quantity only)", CASUALTY_ROLE),
        SpanLabel("BATTLE", TRIGGER, "#ff7f0e",
                  "armed clash between organised groups: clashes, fighting, offensive"),
        SpanLabel("TERRITORY", TRIGGER, "#9467bd",
                  "change of territorial control: seized, recaptured, freed, advance"),
        SpanLabel("AIRSTRIKE", TRIGGER, "#17becf",
                  "air or drone strike, helicopter attack"),
        SpanLabel("EXPLOSION", TRIGGER, "#8c564b",
                  "shelling, rockets, mortars, IEDs, suicide or car bombs, landmines"),
        SpanLabel("CIVILIAN_HARM", TRIGGER, "#e377c2",
                  "deliberate violence against civilians: executions, abductions, human shields"),
        SpanLabel("DISPLACEMENT", TRIGGER, "#bcbd22",
                  "civilians fleeing or displaced"),
    ),
)
