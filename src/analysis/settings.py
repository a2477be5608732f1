"""study.yml: read with YAML aliases refused and its size bounded, every setting type-checked against a schema."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from analysis.errors import format_size, plain_reason
from analysis.validation import Problems, TableSource

__all__ = [
    "Setting",
    "SETTINGS",
    "DEFAULT_SETTINGS",
    "MAX_STUDY_YML_BYTES",
    "MAX_NAME_LENGTH",
    "StudyYmlError",
    "parse_study_yml",
    "read_settings",
    "check_settings",
]

#: study.yml holds a name, a description and a few settings: a few kilobytes. A larger file is
#: refused unread, so that no study.yml can take the memory or time of a big one.
MAX_STUDY_YML_BYTES = 1_000_000
#: The study's name heads every page and index: one line.
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 20_000

#: Keys the suite itself puts into a study's settings in memory (never read from study.yml).
INTERNAL_KEYS = ("slug", "audience")


@dataclass(frozen=True)
class Setting:
    """One setting of study.yml: its name, default, and a check returning what is wrong (or None)."""

    name: str
    default: object
    check: Callable[[object], str | None]
    meaning: str


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _text(max_length: int, required: bool = False):
    def check(v):
        if v is None:
            return "the study needs a name" if required else None
        if not isinstance(v, str):
            quote = isinstance(v, (int, float, bool)) or hasattr(v, "year")  # YAML read a number or a date
            return f"must be text, not {_kind(v)}" + (" (put it in quotes)" if quote else "")
        if required and not v.strip():
            return "the study needs a name"
        if len(v) > max_length:
            return f"is {len(v):,} characters long; at most {max_length:,} are allowed"
        if required and ("\n" in v.strip() or "\r" in v):
            return "must be one line of text"
        return None
    return check


def _bool(v):
    return None if isinstance(v, bool) else "must be true or false"


def _tie_min_level(v):
    return None if _is_int(v) and 1 <= v <= 4 else "must be a whole number from 1 to 4"


def _threshold(v):
    return None if _is_int(v) and v >= 1 else "must be a whole number of at least 1"


def _list_of_ids(v):
    if v is None:
        return None
    if not isinstance(v, list):
        return f"must be a list of org_ids, such as [GB-LAE-COV], not {_kind(v)}"
    for i, item in enumerate(v, start=1):
        if not isinstance(item, str):
            return (f"must be a list of org_ids as text: item {i} is {_kind(item)} {item!r}; "
                    "quote identifiers that look like numbers ('007')")
    return None


def _districts(v):
    if v is None:
        return None
    if not isinstance(v, dict):
        return f"must map each place_id to a list of postcode districts (coventry: [CV1, CV2]), not {_kind(v)}"
    for place, districts in v.items():
        if not isinstance(place, str):
            return f"place {place!r} must be a place_id (text), not {_kind(place)}"
        if districts is None:
            continue
        if not isinstance(districts, list) or not all(isinstance(d, str) for d in districts):
            return f"place {place!r} must have a list of postcode districts as text, such as [CV1, CV2]"
    return None


def _attribution(v):
    return None if v in ("beneficiary", "recipient") else "must be beneficiary or recipient"


def _kind(v) -> str:
    if v is None:
        return "empty"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    if hasattr(v, "year"):
        return "a date"
    return type(v).__name__


#: The settings of study.yml (DESIGN.md, "The study data package" and "Audiences and disclosure").
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("name", None, _text(MAX_NAME_LENGTH, required=True), "the study's name, on every page"),
    Setting("description", "", _text(MAX_DESCRIPTION_LENGTH), "what the study follows, where and when"),
    Setting("illustrative", False, _bool, "true puts a banner saying the data are invented on every page"),
    Setting("tie_min_level", 2, _tie_min_level, "the lowest relationship level that counts as a tie (1-4)"),
    Setting("disclosure_threshold", 5, _threshold, "fewer respondents or ratings than this are not shown"),
    Setting("nameable", [], _list_of_ids, "org_ids that stakeholder pages may name"),
    Setting("postcode_districts", {}, _districts, "postcode districts of each place, for import-grants"),
    Setting("attribution", "beneficiary", _attribution,
            "which location decides a grant's place when beneficiary and recipient disagree"),
    Setting("name_funders", True, _bool, "whether pages name funders (they publish their grants openly)"),
)}

DEFAULT_SETTINGS = {name: s.default for name, s in SETTINGS.items()}


class StudyYmlError(ValueError):
    """study.yml cannot be read: too large, not YAML, or using a YAML alias. ``line`` is 1-based or None."""

    def __init__(self, reason: str, line: int | None = None):
        self.reason, self.line = reason, line
        super().__init__(f"study.yml{f', line {line}' if line else ''}: {reason}")


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases (``*a``, ``<<: *a``): a few of them nested expand a
    small file into gigabytes (the "billion laughs"), and study.yml never needs one."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise StudyYmlError(
                f"uses a YAML alias (*{event.anchor}), which study.yml does not allow: write the value out in full",
                event.start_mark.line + 1,
            )
        return super().compose_node(parent, index)


def parse_study_yml(data: bytes):
    """Parse study.yml's bytes: at most :data:`MAX_STUDY_YML_BYTES`, UTF-8, YAML without aliases.

    Raises
    ------
    StudyYmlError
        With the line where known.

    Examples
    --------
    >>> parse_study_yml(b"name: Tiny\\nnameable: [GB-LAE-COV]\\n")
    {'name': 'Tiny', 'nameable': ['GB-LAE-COV']}
    >>> try:
    ...     parse_study_yml(b"a: &x [1, 2]\\nname: *x\\n")
    ... except StudyYmlError as exc:
    ...     print(exc.line, exc.reason)
    2 uses a YAML alias (*x), which study.yml does not allow: write the value out in full
    """
    if len(data) > MAX_STUDY_YML_BYTES:
        raise _too_large(len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StudyYmlError(plain_reason(exc)) from None
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except StudyYmlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(x for x in (exc.context, exc.problem) if x) or "not valid YAML"
        raise StudyYmlError(f"not valid YAML: {what}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise StudyYmlError(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise StudyYmlError("not valid YAML: nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date such as 2020-02-30
        raise StudyYmlError(f"holds a value YAML cannot read ({exc})") from None


def _too_large(size: int) -> StudyYmlError:
    return StudyYmlError(f"is {format_size(size)}, over the {format_size(MAX_STUDY_YML_BYTES)} limit: "
                         "study.yml holds a name, a description and a few settings")


def read_settings(folder: Path, problems: Problems) -> dict:
    """The settings of the study in ``folder``, checked; problems go to ``problems`` as study.yml rows."""
    settings = dict(DEFAULT_SETTINGS)
    yml = Path(folder) / "study.yml"
    source = TableSource("study.yml")
    if not yml.is_file():
        if yml.exists():
            problems.add(source, None, "", "", "study.yml is not a file")
        else:
            problems.add(source, None, "", "", "study.yml is missing: it names the study and holds its settings")
        return settings
    try:
        size = yml.stat().st_size
        with open(yml, "rb") as fh:
            data = fh.read(MAX_STUDY_YML_BYTES + 1)  # never more, whatever the file holds
    except OSError as exc:
        problems.add(source, None, "", "", plain_reason(exc))
        return settings
    try:
        if max(size, len(data)) > MAX_STUDY_YML_BYTES:
            raise _too_large(max(size, len(data)))
        loaded = parse_study_yml(data)
    except StudyYmlError as exc:
        problems.add(source, None, "", "", exc.reason if exc.line is None else f"line {exc.line}: {exc.reason}")
        return settings
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        problems.add(source, None, "", "", "must be a mapping of settings (name: ..., illustrative: ...)")
        return settings
    settings.update({k if isinstance(k, str) else str(k): v for k, v in loaded.items()})
    check_settings(settings, problems, internal=False)
    return settings


def check_settings(settings: dict, problems: Problems, internal: bool = True) -> dict:
    """Check every setting against :data:`SETTINGS`; a wrong one is an error naming the key, an unknown one a warning.

    A setting that fails its check is set back to its default in ``settings`` (the error is
    still reported), so nothing downstream meets a value of the wrong type.

    Parameters
    ----------
    settings : dict
        The settings, defaults filled in.
    problems : Problems
        Where the problems go, as rows of ``study.yml``.
    internal : bool
        Whether the keys the suite sets in memory (``slug``, ``audience``) are allowed.

    Examples
    --------
    >>> p = Problems()
    >>> s = check_settings(dict(DEFAULT_SETTINGS, name=[1, 2], colour="red"), p)
    >>> p.frame()[["severity", "column"]].values.tolist()
    [['error', 'name'], ['warning', 'colour']]
    >>> p.frame()["problem"].str.slice(0, 40).tolist()
    ['must be text, not a list', 'not a setting of study.yml (the settings']
    """
    source = TableSource("study.yml")
    for key in list(settings):
        spec = SETTINGS.get(key)
        if spec is None:
            if not (internal and key in INTERNAL_KEYS):
                known = ", ".join(SETTINGS)
                problems.warn(source, None, key, "",
                              f"not a setting of study.yml (the settings are {known}): check its spelling")
            continue
        value = settings[key]
        reason = spec.check(value)
        if reason:
            problems.add(source, None, key, _shown(value), reason)
            settings[key] = spec.default
        elif value is None and spec.default is not None:
            settings[key] = spec.default
    return settings


def _shown(value) -> str:
    """A value as a problem row shows it: short, on one line."""
    if isinstance(value, (list, dict)):
        return ""
    text = " ".join(str(value).split())
    return text if len(text) <= 60 else text[:57] + "..."
