"""Importing 360Giving grants into a study: one plan, checked exactly as the loader will check it, then written."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import warnings
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis.funding.attribution import (
    ATTRIBUTION_SETTINGS,
    attribute_places,
    attribution_summary,
    import_csv_bytes,
    import_file_name,
    write_import,
)
from analysis.funding.threesixtygiving import grant_key, read_360giving
from analysis.study import StudyValidationError, load_study, phase_of_dates

__all__ = ["ImportPlan", "GrantImportError", "plan_import", "carry_out_import", "NO_LICENCE"]

#: What an import records as the licence when the file states none.
NO_LICENCE = "not stated in the file (see the publisher's 360Giving registry entry)"


class GrantImportError(RuntimeError):
    """The import could not be carried out (the study would not load with the new file)."""


@dataclasses.dataclass
class ImportPlan:
    """What importing a 360Giving file into a study does, worked out before anything is written.

    ``--dry-run`` prints it; the real import prints the same and writes ``rows``.
    """

    source: Path
    study_folder: Path
    grants_read: int
    individuals: int
    already: int
    attribution: pd.DataFrame
    summary: pd.DataFrame
    disagreements: pd.DataFrame
    rows: pd.DataFrame
    refused: pd.DataFrame
    flagged: int
    outside_phases: int
    before_first_phase: int
    notes: list[str]
    setting: str
    file_name: str
    when: datetime

    def report_lines(self) -> list[str]:
        """The import report, line by line, the same for a dry run and the real import."""
        lines = [f"{self.grants_read:,} grants read from {self.source.name}"]
        if self.individuals:
            lines.append(f"{self.individuals:,} of them to individuals: left out (the grants table holds grants to "
                         "organisations)")
        lines += [f"warning: {n}" for n in self.notes]
        if self.already:
            lines.append(f"{self.already:,} {'grant' if self.already == 1 else 'grants'} already in the study "
                         "(same Identifier, ignoring letter case): skipped")
        lines.append("")
        placed = self.summary[self.summary["place"] != "(unattributed)"].drop(columns="reason")
        lines.append(f"Grants attributed to each place, by rule (attribution: {self.setting}):")
        lines += placed.to_string(index=False).splitlines()
        unplaced = self.summary[self.summary["place"] == "(unattributed)"]
        lines.append("")
        lines.append(f"unattributed: {int(unplaced['grants'].sum()):,} grants")
        for row in unplaced.itertuples(index=False):
            lines.append(f"  {row.grants:>8,}  {row.reason}")
        if len(self.disagreements):
            lines.append("")
            lines.append(f"{len(self.disagreements):,} grants whose beneficiary location and recipient's address "
                         f"disagree (study.yml attribution: {self.setting} decides):")
            for rec in self.disagreements.itertuples(index=False):
                lines.append(f"  {rec.Identifier}: {rec.disagreement}")
        lines.append("")
        if self.flagged:
            lines.append(f"warning: {self.flagged:,} grants of £0 or less (joint grants' partners, returned or "
                         "revoked grants) are imported, flagged: they are left out of totals and medians")
        if len(self.refused):
            lines.append(f"{len(self.refused):,} grants the study would refuse are left out (the rest are imported):")
            for rec in self.refused.itertuples(index=False):
                lines.append(f"  {rec.Identifier}: column {rec.column}, value {rec.value!r}: {rec.problem}")
        if self.before_first_phase:
            lines.append(f"{self.before_first_phase:,} of the grants to import were awarded before the study's first "
                         "phase (they are kept, and count when deciding which organisations are newly funded)")
        if self.outside_phases - self.before_first_phase > 0:
            lines.append(f"{self.outside_phases - self.before_first_phase:,} of the grants to import were awarded "
                         "after the study's last phase (they are kept, in no phase)")
        return lines


def _mirror(folder: Path, into: Path) -> None:
    """A stand-in for the study folder: links to its files (copies where links are refused)."""
    for entry in folder.iterdir():
        target = into / entry.name
        if entry.name == "imports" and entry.is_dir():
            target.mkdir()
            for f in entry.glob("*.csv"):
                _link(f, target / f.name)
        elif entry.is_file():
            _link(entry, target)


def _link(source: Path, target: Path) -> None:
    try:
        os.symlink(source.resolve(), target)
    except OSError:
        shutil.copyfile(source, target)


def _loader_problems(folder: Path, rows: pd.DataFrame, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load the study with ``rows`` as a new import file: (problems in that file, errors elsewhere)."""
    label = f"imports/{name}"
    with tempfile.TemporaryDirectory(prefix="import-grants-") as tmp:
        stand_in = Path(tmp) / folder.name
        stand_in.mkdir()
        _mirror(folder, stand_in)
        (stand_in / "imports").mkdir(exist_ok=True)
        (stand_in / "imports" / name).write_bytes(import_csv_bytes(rows))
        try:
            problems = load_study(stand_in).warnings
        except StudyValidationError as exc:
            problems = exc.problems
    mine = problems[problems["file"] == label]
    elsewhere = problems[(problems["file"] != label) & (problems["severity"] == "error")]
    return mine, elsewhere


def plan_import(study_path, source, *, include_unattributed: bool = False, licence: str | None = None,
                when: datetime | None = None) -> ImportPlan:
    """Read a 360Giving file, attribute its grants to the study's places and check them as the loader will.

    Rows the study's loader would refuse are left out and listed (the rest import); grants already
    in the study (same Identifier, ignoring case) are skipped and counted; £0 and negative amounts
    are kept and counted.

    Parameters
    ----------
    study_path : str or path
        The study folder.
    source : str or path
        The 360Giving file (JSON, CSV or XLSX).
    include_unattributed : bool
        Also import grants attributed to no place.
    licence : str, optional
        The licence the publisher gives the file under, when the file does not state it.
    when : datetime, optional
        The time of import (recorded in ``imported_on`` and the file's name).

    Raises
    ------
    FileNotFoundError, StudyValidationError, ThreeSixtyGivingError
        As :func:`load_study` and :func:`read_360giving` raise them.
    """
    when = when or datetime.now()
    source = Path(source)
    study = load_study(study_path)
    folder = study.path if study.path.is_dir() else study.path.parent
    setting = study.settings.get("attribution") or "beneficiary"
    if setting not in ATTRIBUTION_SETTINGS:
        raise ValueError(f"study.yml attribution must be one of {', '.join(ATTRIBUTION_SETTINGS)}, not {setting!r}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grants = read_360giving(source)
    notes = [str(w.message) for w in caught]

    attribution = attribute_places(grants, study.places, study.organisations,
                                   study.settings.get("postcode_districts") or {}, attribution=setting)
    known = set(grant_key(study.grants["Identifier"]).dropna())
    already = grant_key(grants["Identifier"]).isin(known).fillna(False).to_numpy()
    fresh = grants[~already].assign(place_id=attribution["place_id"][~already],
                                    matched_by=attribution["matched_by"][~already])
    rows = fresh if include_unattributed else fresh[fresh["place_id"].notna()]
    rows = rows.assign(source_file=source.name, source_licence=grants.attrs.get("licence") or licence or NO_LICENCE,
                       imported_on=when.strftime("%Y-%m-%d")).reset_index(drop=True)

    name = import_file_name(source, when)
    refused = []
    for _ in range(5):  # a refused row can only take its own problems with it: this settles in one or two rounds
        if rows.empty:
            break
        mine, elsewhere = _loader_problems(folder, rows, name)
        if len(elsewhere):
            raise StudyValidationError(elsewhere, folder)
        errors = mine[mine["severity"] == "error"]
        if errors.empty:
            break
        positions = sorted({int(r) - 2 for r in errors["row"].dropna()})
        for rec in errors.itertuples(index=False):
            i = int(rec.row) - 2 if pd.notna(rec.row) else None
            refused.append({"Identifier": rows["Identifier"].iloc[i] if i is not None else "",
                            "column": rec.column, "value": rec.value, "problem": rec.problem})
        if not positions:  # a problem with the file as a whole: nothing can be imported
            rows = rows.iloc[0:0]
            break
        rows = rows.drop(index=positions).reset_index(drop=True)

    phases = phase_of_dates(rows["Award Date"], study.phases)
    first_start = study.phases["start_date"].min()
    before = int((pd.to_datetime(rows["Award Date"]) < first_start).sum()) if len(rows) else 0
    flagged = int((rows["Amount Awarded"] <= 0).sum()) if len(rows) else 0
    disagreements = pd.DataFrame({"Identifier": grants["Identifier"], "place_id": attribution["place_id"],
                                  "disagreement": attribution["disagreement"]})[attribution["disagreement"].notna()
                                                                                & ~already]
    return ImportPlan(
        source=source, study_folder=folder, grants_read=int(grants.attrs.get("grants_read", len(grants))),
        individuals=int(grants.attrs.get("individuals", 0)), already=int(already.sum()), attribution=attribution,
        summary=attribution_summary(attribution[~already], study.place_ids), disagreements=disagreements,
        rows=rows, refused=pd.DataFrame(refused, columns=["Identifier", "column", "value", "problem"]),
        flagged=flagged, outside_phases=int(phases.isna().sum()), before_first_phase=before, notes=notes,
        setting=setting, file_name=name, when=when,
    )


def carry_out_import(plan: ImportPlan) -> Path:
    """Write the plan's grants to a new file in the study's ``imports/`` and check the study still loads.

    Raises
    ------
    GrantImportError
        When the study would not load with the new file (then the file is taken back out).
    """
    target = write_import(plan.rows, plan.study_folder / "imports", plan.source, when=plan.when)
    try:
        load_study(plan.study_folder)
    except StudyValidationError as exc:
        target.unlink()
        raise GrantImportError(f"the study would not load with these grants, so nothing was imported:\n{exc}") from exc
    return target
