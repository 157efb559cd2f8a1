"""Vocabularies and table schemas of a cem model.

A model is seven node tables (one per kind) and one table of links. This module says what
each table holds, which values each closed field may take, and which relations may join
which kinds. :mod:`cem.validate` checks input against it; :mod:`cem.graph` builds the graph
from it; the workbook and the docs are generated from it, so it is the one place to change a
vocabulary.

Decisions recorded here (see also docs/design.md):

* ``step``, ``owner``, ``actor``, ``provided_by`` columns of the node tables are shorthands
  for links (``serves``, ``owns``, ``has_need``, ``requires``, ``provides``); the ``step``
  column may hold one id or a list of ids.
* Within a job, ``next`` follows ``position``. A step that has explicit ``next`` links to
  steps of its own job keeps only those (to express a branch or a skip); links to other jobs
  (the next cycle) are added to the implicit order.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "UNDERSERVED",
    "HIGH_OPPORTUNITY",
    "EXTREME_OPPORTUNITY",
    "KINDS",
    "RELATIONS",
    "STAGES",
    "JOB_MAP",
    "DIMENSIONS",
    "NEED_DIMENSIONS",
    "CHANNELS",
    "ENTITY_TYPES",
    "ACTOR_ROLES",
    "PERFORM_ROLES",
    "PERFORMERS",
    "RESOURCE_TYPES",
    "DIRECTIONS",
    "SECTIONS",
    "Field",
    "suggest",
    "Suggester",
    "SURVEY_MEASURES",
]

#: Node kinds, in the order tables are read and drawn.
KINDS = ("job", "step", "entity", "actor", "touchpoint", "need", "resource")

#: The consumption chain, in order: the lifecycle stages of a customer's job.
STAGES = (
    "awareness", "search", "evaluate", "purchase", "receive", "setup", "use",
    "get_help", "maintain", "renew", "dispose", "next_cycle",
)

#: Ulwick's universal job map (optional attribute of a step).
JOB_MAP = ("define", "locate", "prepare", "confirm", "execute", "monitor", "modify", "conclude")

#: Dimensions of a job.
DIMENSIONS = ("functional", "emotional", "social")

#: Dimensions of a need (a job's dimensions plus money).
NEED_DIMENSIONS = ("functional", "emotional", "social", "financial")

CHANNELS = (
    "web", "app", "phone", "email", "chat", "store", "field", "partner", "mail",
    "social_media", "sms", "event", "self_service", "in_product", "document",
)

ENTITY_TYPES = ("customer", "provider", "partner", "supplier", "channel", "regulator")

ACTOR_ROLES = (
    "job_executor", "buyer", "lifecycle_support", "beneficiary", "influencer", "approver",
    "frontline", "backstage", "manager", "specialist", "advisor", "inspector",
)

#: The ``role`` attribute of a ``performs`` link.
PERFORM_ROLES = ("executor", "helper", "approver", "informed")

#: Who performs a job.
PERFORMERS = ("customer", "company", "partner")

RESOURCE_TYPES = ("information", "tool", "money", "skill", "asset", "time", "permission")

DIRECTIONS = ("minimize", "maximize")

#: The measures a survey answer may carry (``mappings: survey: wide:`` in study.yaml names a
#: column for each): two 1-5 ratings and the Kano pair.
SURVEY_MEASURES = ("importance", "satisfaction", "functional", "dysfunctional")

#: Opportunity thresholds (Ulwick 2005, *What Customers Want*, ch. 3), on the 0..20 opportunity
#: scale: above UNDERSERVED a need is underserved, above HIGH_OPPORTUNITY a high and above
#: EXTREME_OPPORTUNITY an extreme opportunity. Every rule and figure of cem reads them here.
UNDERSERVED = 10.0
HIGH_OPPORTUNITY = 12.0
EXTREME_OPPORTUNITY = 15.0

#: relation -> (allowed source kinds, allowed target kinds, meaning)
RELATIONS = {
    "has_step": (("job",), ("step",), "the step belongs to the job"),
    "next": (("step",), ("step",), "designed order of steps"),
    "supports": (("step",), ("step",), "a company step supports a customer step"),
    "part_of": (("job",), ("job",), "a related, emotional or social job of a main job"),
    "member_of": (("actor",), ("entity",), "the actor belongs to the entity"),
    "performs": (("actor",), ("step",), "the actor takes part in the step"),
    "serves": (("touchpoint",), ("step",), "the touchpoint is where the step happens"),
    "owns": (("actor",), ("touchpoint",), "the actor is accountable for the touchpoint"),
    "has_need": (("step", "actor"), ("need",), "the need arises at that step, for that actor"),
    "addresses": (("touchpoint",), ("need",), "the touchpoint is designed to meet the need"),
    "requires": (("step",), ("resource",), "the step needs the resource"),
    "provides": (("entity",), ("resource",), "the entity makes the resource available"),
}


class Field:
    """One column of a node table.

    Parameters
    ----------
    name : str
    required : bool
    type : {"str", "int", "number", "ids", "id"}
        ``id`` is a reference to one node, ``ids`` to one or more.
    choices : tuple of str, optional
        Closed vocabulary.
    ref : str, optional
        Kind the ``id``/``ids`` value must name.
    """

    def __init__(self, name, required=False, type="str", choices=None, ref=None, doc=""):
        self.name = name
        self.required = required
        self.type = type
        self.choices = choices
        self.ref = ref
        self.doc = doc

    def __repr__(self):
        return f"Field({self.name!r})"


#: section name in the model file -> (kind, fields). The ``id`` field is common to all.
SECTIONS = {
    "jobs": ("job", (
        Field("name", True, doc="verb + object + clarifier"),
        Field("performer", True, choices=PERFORMERS),
        Field("dimension", False, choices=DIMENSIONS),
        Field("part_of", False, "id", ref="job", doc="main job this job belongs to"),
        Field("description"),
    )),
    "steps": ("step", (
        Field("job", True, "id", ref="job"),
        Field("name", True),
        Field("position", True, "int"),
        Field("stage", True, choices=STAGES),
        Field("job_map", False, choices=JOB_MAP),
        Field("description"),
    )),
    "entities": ("entity", (
        Field("name", True),
        Field("type", True, choices=ENTITY_TYPES),
        Field("description"),
    )),
    "actors": ("actor", (
        Field("name", True),
        Field("entity", True, "id", ref="entity"),
        Field("role", False, choices=ACTOR_ROLES),
        Field("description"),
    )),
    "touchpoints": ("touchpoint", (
        Field("name", True),
        Field("channel", True, choices=CHANNELS),
        Field("step", False, "ids", ref="step", doc="step(s) the touchpoint serves"),
        Field("owner", False, "id", ref="actor", doc="actor accountable for it"),
        Field("cost", False, "number", doc="cost per interaction, model currency"),
        Field("description"),
    )),
    "needs": ("need", (
        Field("statement", True, doc="direction + metric + object of control + clarifier"),
        Field("dimension", True, choices=NEED_DIMENSIONS),
        Field("step", False, "ids", ref="step"),
        Field("actor", False, "ids", ref="actor"),
        Field("direction", False, choices=DIRECTIONS),
        Field("metric"),
    )),
    "resources": ("resource", (
        Field("name", True),
        Field("type", True, choices=RESOURCE_TYPES),
        Field("step", False, "ids", ref="step", doc="step(s) that require it"),
        Field("provided_by", False, "ids", ref="entity"),
        Field("description"),
    )),
}

#: kind -> its section name in the model file.
SECTION_OF = {kind: section for section, (kind, _) in SECTIONS.items()}

#: The shorthand columns and the link each one stands for: (relation, node is source?).
SHORTHAND_LINKS = {
    ("job", "part_of"): ("part_of", True),
    ("step", "job"): ("has_step", False),
    ("actor", "entity"): ("member_of", True),
    ("touchpoint", "step"): ("serves", True),
    ("touchpoint", "owner"): ("owns", False),
    ("need", "step"): ("has_need", False),
    ("need", "actor"): ("has_need", False),
    ("resource", "step"): ("requires", False),
    ("resource", "provided_by"): ("provides", False),
}

#: Attributes a link may carry, with their type and allowed range.
LINK_ATTRIBUTES = {
    "strength": ("number", 0.0, 1.0),
    "role": ("str", PERFORM_ROLES, None),
    "note": ("str", None, None),
}

TOP_LEVEL_KEYS = ("model", *SECTIONS, "links")


#: Words consultants write for a vocabulary value, mapped to the value cem uses.
SYNONYMS = {
    "install": "setup", "instal": "setup", "installation": "setup", "onboarding": "setup", "onboard": "setup",
    "set_up": "setup", "buy": "purchase", "order": "purchase", "pay": "purchase", "compare": "evaluate",
    "consider": "evaluate", "choose": "evaluate", "delivery": "receive", "deliver": "receive",
    "help": "get_help", "support": "get_help", "service": "maintain", "repair": "maintain",
    "renewal": "renew", "disposal": "dispose", "recycle": "dispose", "exit": "dispose", "aware": "awareness",
    "website": "web", "online": "web", "telephone": "phone", "call": "phone", "e_mail": "email",
    "shop": "store", "retail": "store", "letter": "mail", "post": "mail", "mobile": "app", "social": "social_media",
    "minimise": "minimize", "maximise": "maximize", "money": "financial", "economic": "financial",
    "company": "company", "provider": "company", "vendor": "company",
}


#: Letters of other scripts that look like Latin ones (the usual suspects of a pasted id).
LOOKALIKES = str.maketrans({
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y",
    "х": "x", "ѕ": "s", "і": "i", "ј": "j", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I",
    "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o",
    "\u00a0": " ", "\u200b": "", "\u2011": "-", "\u2013": "-",
})


def ascii_lookalike(value):
    """The text with look-alike letters of other scripts (and full-width forms) made Latin.

    Examples
    --------
    >>> ascii_lookalike("Ѕ_quote")  # a Cyrillic S
    'S_quote'
    """
    import unicodedata

    return unicodedata.normalize("NFKC", str(value)).translate(LOOKALIKES)


#: Choice lists up to this long are compared with difflib one by one (as they always were);
#: longer ones (the ids of a large model) go through a :class:`Suggester` index.
SMALL_CHOICES = 200

#: At most this many close candidates of a large choice list are compared with difflib, and at
#: most this many index entries are read to find them: each suggestion costs a bounded time.
MAX_CANDIDATES = 40
MAX_INDEX_READS = 4_000


def _normal(value):
    """The form two spellings of one word share: spaces and hyphens as underscores, lower case."""
    return str(value).strip().lower().replace(" ", "_").replace("-", "_")


def _skeleton(value):
    """The form look-alikes share too: NFKC, other scripts' look-alike letters made Latin, casefolded."""
    return _normal(ascii_lookalike(value)).casefold()


def _trigrams(text):
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


class Suggester:
    """The closest valid value to a misspelt one, for many look-ups in one list of choices.

    The choices are indexed once: by their exact look-alike skeleton (case, spaces and hyphens,
    full-width forms and Cyrillic or Greek letters that look Latin), and by trigrams. A look-up
    is a dict hit, or difflib over at most :data:`MAX_CANDIDATES` choices that share the rarest
    trigrams with the value, found by reading at most :data:`MAX_INDEX_READS` index entries: so
    2,000 bad references to 5,000 ids cost linear time, not 10 million difflib comparisons.

    Examples
    --------
    >>> ids = [f"actor_{i:04d}" for i in range(3000)]
    >>> hint = Suggester(ids)
    >>> hint("actr_0042"), hint("ACTOR_0042"), hint("zzz") is None
    ('actor_0042', 'actor_0042', True)
    """

    def __init__(self, choices):
        self.choices = list(dict.fromkeys(choices))
        self.lowered = {}
        for c in self.choices:  # compare without case, answer in the choice's own spelling
            self.lowered.setdefault(str(c).lower(), c)
        self.members = set(self.choices)
        self.skeletons, self.index = {}, None
        if len(self.lowered) > SMALL_CHOICES:
            for c in self.choices:
                self.skeletons.setdefault(_skeleton(c), c)
            self.index = {}
            for low in self.lowered:
                for gram in _trigrams(low):
                    self.index.setdefault(gram, []).append(low)

    def _candidates(self, text):
        if self.index is None:
            return list(self.lowered)
        postings = sorted((self.index[g] for g in _trigrams(text) if g in self.index), key=len)
        shared, reads = {}, 0
        for posting in postings:  # the rarest trigrams first: they say most about the value
            for low in posting[: MAX_INDEX_READS - reads]:
                shared[low] = shared.get(low, 0) + 1
            reads += len(posting)
            if reads >= MAX_INDEX_READS:
                break
        return sorted(shared, key=shared.get, reverse=True)[:MAX_CANDIDATES]

    def __call__(self, value):
        text = _normal(value)
        if text in self.members:
            return text
        if SYNONYMS.get(text) in self.members:
            return SYNONYMS[text]
        plain = ascii_lookalike(value)
        if plain != str(value) and plain in self.members:
            return plain
        same = self.skeletons.get(_skeleton(value))
        if same is not None:
            return same
        close = difflib.get_close_matches(text, self._candidates(text), n=1, cutoff=0.6)
        return self.lowered[close[0]] if close else None


_SUGGESTERS = {}


def suggest(value: object, choices: Iterable[str]) -> str | None:
    """The closest valid value to a misspelt one, or None.

    A long list of choices is indexed once (see :class:`Suggester`) and the index kept for the
    next look-ups in the same list, so callers may call this once per bad value.

    Examples
    --------
    >>> suggest("purchse", STAGES)
    'purchase'
    >>> suggest("get help", ["get_help", "use"])
    'get_help'
    >>> suggest("instal", ["setup", "use"])
    'setup'
    >>> suggest("zzz", ["use"]) is None
    True
    """
    key = tuple(choices)
    if len(key) <= SMALL_CHOICES:
        return Suggester(key)(value)
    suggester = _SUGGESTERS.get(key)
    if suggester is None:
        if len(_SUGGESTERS) >= 4:  # a few lists at a time (the ids of a model, of its needs ...)
            _SUGGESTERS.pop(next(iter(_SUGGESTERS)))
        suggester = _SUGGESTERS[key] = Suggester(key)
    return suggester(value)
