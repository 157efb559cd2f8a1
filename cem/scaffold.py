"""Start a new study: ``cem new DIR [--from EXAMPLE]``.

Writes ``model.xlsx`` (a sheet per kind, dropdowns for the closed columns, an instructions sheet
and example rows to overwrite), ``study.yaml`` with every setting explained (and a random
``pseudonym_key``, the secret of the customers' pseudonyms in reports: the file is made owner-only), and
``survey_template.csv``, one row per need, ready for a survey tool's export to be mapped onto.
"""
from __future__ import annotations

import csv
import io
import os
import secrets
from pathlib import Path

import yaml

from .errors import InputError

__all__ = ["new_study", "yaml_scalar", "STARTER"]

#: The starter model's tables: one example of everything, meant to be overwritten.
STARTER = {
    "model": {"name": "New journey model", "version": "0.1", "currency": "EUR"},
    "jobs": [{"id": "J_main", "name": "Get the customer's main job done", "performer": "customer"},
             {"id": "J_serve", "name": "Serve customers through their job", "performer": "company"}],
    "steps": [
        {"id": "S_aware", "job": "J_main", "position": 1, "stage": "awareness", "name": "Realise there is a need"},
        {"id": "S_choose", "job": "J_main", "position": 2, "stage": "evaluate", "name": "Compare the options"},
        {"id": "S_buy", "job": "J_main", "position": 3, "stage": "purchase", "name": "Buy"},
        {"id": "S_use", "job": "J_main", "position": 4, "stage": "use", "name": "Use it to get the job done"},
        {"id": "C_sell", "job": "J_serve", "position": 1, "stage": "purchase", "name": "Take the order"}],
    "entities": [{"id": "customer", "name": "Customer household", "type": "customer"},
                 {"id": "company", "name": "Our company", "type": "provider"}],
    "actors": [{"id": "buyer", "name": "Buyer", "entity": "customer", "role": "job_executor"},
               {"id": "seller", "name": "Sales advisor", "entity": "company", "role": "frontline"}],
    "touchpoints": [{"id": "T_web", "name": "Website", "channel": "web", "step": ["S_aware", "S_choose"],
                     "owner": "seller", "cost": 0.2}],
    "needs": [{"id": "N_compare", "step": "S_choose", "actor": "buyer", "dimension": "functional",
               "statement": "Minimize the time it takes to compare the options"}],
    "resources": [{"id": "R_price", "name": "Price list", "type": "information", "step": "S_choose",
                   "provided_by": "company"}],
    "links": [{"relation": "performs", "from": "buyer", "to": "S_choose"},
              {"relation": "supports", "from": "C_sell", "to": "S_buy"},
              {"relation": "addresses", "from": "T_web", "to": "N_compare", "strength": 0.6}],
}

_STUDY_YAML = """\
# Settings of this study. Every line is optional; delete what does not apply.
title: {title}
client: ""
description: ""
currency: {currency}
discount_rate: 0.1     # yearly, for lifetime value
horizon: 3             # years of lifetime value
margin: 0.3            # share of revenue kept as margin
# segment: segment     # a column of customers.csv or survey.csv to compare segments by
# mappings:            # column names of your data files, when they differ from cem's
#   survey: {{respondent_id: ResponseId}}

# Pseudonym key: the reports never show a customer's id. Lists of customers (the win-back list,
# the cases that deviate most) show a pseudonym instead: c- and 12 hex digits of a keyed hash
# (HMAC-SHA256) of the id. With this key the same customer gets the same pseudonym in every
# report, and whoever holds the key and the client's data can find the customer (each run also
# writes private/<list>_ids.csv, pseudonym -> customer id, for the consultant). KEEP IT SECRET:
# do not send this file with the reports, do not put it in a shared repository. Made at random
# by `cem new`; the environment variable CEM_PSEUDONYM_KEY, when set, is used instead.
pseudonym_key: "{pseudonym_key}"
"""


def yaml_scalar(value: object) -> str:
    r"""A value as one line of YAML that reads back as exactly that value.

    Text is written double-quoted with escapes (a colon, a ``#``, a line break or a quote in a
    model's name cannot end the value or start another setting).

    Examples
    --------
    >>> yaml_scalar('Acme: the journey\ncurrency: USD # "x"')
    '"Acme: the journey\\ncurrency: USD # \\"x\\""'
    >>> yaml.safe_load("title: " + yaml_scalar("Acme: the journey\nhorizon: 99"))
    {'title': 'Acme: the journey\nhorizon: 99'}
    """
    text = yaml.safe_dump(str(value), default_style='"', allow_unicode=True, width=float("inf"))
    return text.strip().removesuffix("...").strip()


def _survey_template(needs):
    """survey_template.csv's text: one row per need, every cell safe to open in a spreadsheet."""
    from .privacy import safe_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["respondent_id", "need_id", "importance", "satisfaction", "statement"])
    for need in needs:
        writer.writerow([safe_cell(v) for v in ("R0001", str(need["id"]), "", "", str(need.get("statement", "")))])
    return out.getvalue()


def new_study(folder: str | Path, example: str | None = None) -> list[Path]:
    """Write a new study folder; refuse to touch one that already holds a model.

    Parameters
    ----------
    folder : str or Path
    example : str, optional
        An example's name (``solar``, ``payroll``) or a study folder to start from.

    Returns
    -------
    list of Path
    """
    from .convert import graph_to_tables, load_model, write_workbook
    from .readers import MODEL_FILES

    out = Path(folder)
    for name in MODEL_FILES:
        if (out / name).exists():
            raise InputError.single(str(out / name), "exists already; cem new starts a study in a new folder")
    if example:
        source = Path(example)
        if not source.exists():
            source = Path(__file__).resolve().parent / "examples" / example
        if not source.exists():
            raise InputError.single(example, "is neither an example (solar, payroll) nor a study folder")
        tables = graph_to_tables(load_model(source))
    else:
        tables = STARTER
    out.mkdir(parents=True, exist_ok=True)
    written = [write_workbook(path=out / "model.xlsx", tables=tables)]
    meta = tables.get("model", {})
    study = out / "study.yaml"
    if not study.exists():
        # The model's name and currency are the user's text: written as quoted YAML scalars, so
        # "Acme: the journey" stays a title and a line break cannot add a setting.
        study.write_text(_STUDY_YAML.format(title=yaml_scalar(meta.get("name", "New study")),
                                            currency=yaml_scalar(meta.get("currency", "EUR")),
                                            pseudonym_key=secrets.token_hex(16)), encoding="utf-8")
        os.chmod(study, 0o600)  # it holds the pseudonym key: the owner's only
        written.append(study)
    template = out / "survey_template.csv"
    template.write_text(_survey_template(tables.get("needs", [])), encoding="utf-8")
    written.append(template)
    return written
