"""Tables as a client reads them: names instead of ids, formatted numbers and money, no index
column, one marker for a missing value, and every column explained under the table.

:func:`client_table` is the one way a report page shows a table. It never changes the numbers,
only how they read: the table files a client opens in a spreadsheet (:func:`cem.metrics.save_table`)
keep the raw values.

Examples
--------
>>> import pandas as pd
>>> t = client_table(pd.DataFrame({"step": ["S1"], "at_stake": [1234567.8], "unmet_share": [0.123]}),
...                  money=["at_stake"], currency="EUR")
>>> t.data.to_dict("records")
[{'step': 'S1', 'value at stake (EUR)': '1,234,568', 'share of unmet need': '12 %'}]
"""
from __future__ import annotations

import html
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import networkx as nx
    from pandas.io.formats.style import Styler

__all__ = ["MISSING", "GLOSSARY", "client_table", "format_number", "ClientTable"]

#: The one marker of a cell with no value, explained under every table that has one.
MISSING = "\u2013"

#: Column key -> (label, what it means). A table explains the columns it shows from here, unless
#: the caller says otherwise (``explain=``).
GLOSSARY: dict[str, tuple[str, str]] = {
    "rank": ("rank", ""),
    "step": ("step", ""),
    "name": ("step", ""),
    "stage": ("stage", "the stage of the customer's lifecycle the step belongs to"),
    "priority": ("priority", "the step's share of the evidence that ranked the steps (the rule is said above the list)"),
    "at_stake": ("value at stake", "the change in the customer base's lifetime value when the step's experience is "
                                   "raised to the target, where its 95 % interval stays above zero"),
    "at_stake_interval": ("95 % interval", "the range the value at stake lies in with 95 % confidence"),
    "unmet_share": ("share of unmet need", "the step's part of the journey's unmet need (survey)"),
    "drop_off": ("drop-off", "the share of customers at the step before who are not seen at this one (shown only "
                             "where fewer arrive here than were at the step before)"),
    "rework": ("rework", "the share of cases reaching the step that go through it more than once"),
    "top_need": ("most underserved need", "the need at the step with the highest opportunity score"),
    "need_id": ("need", ""),
    "statement": ("need", ""),
    "n": ("answers", "respondents who answered"),
    "importance": ("importance", "ten times the share of respondents rating the need 4 or 5 of 5 (0 to 10)"),
    "satisfaction": ("satisfaction", "ten times the share of respondents satisfied 4 or 5 of 5 (0 to 10)"),
    "opportunity": ("opportunity", "importance + max(importance - satisfaction, 0): above 10 underserved, above 12 "
                                   "high, above 15 extreme"),
    "served": ("served", "underserved, overserved (satisfaction above importance) or appropriately served"),
    "priority_class": ("opportunity class", ""),
    "experience": ("experience", "importance-weighted satisfaction of the step's needs, sum(I x S) / sum(I x 10): "
                                 "1 = every important need fully met"),
    "unmet": ("unmet need", "sum over the step's needs of max(importance - satisfaction, 0)"),
    "needs": ("needs", "needs rated at the step"),
    "max_opportunity": ("highest opportunity", "the highest opportunity score among the step's needs"),
    "underserved": ("underserved needs", "needs with an opportunity above 10"),
    "customers": ("customers", "customers (cases) with at least one event at the step"),
    "interactions": ("interactions", "events at the step"),
    "cost_to_serve": ("cost to serve", "what the step's interactions cost the company"),
    "revenue": ("revenue", "revenue booked at the step"),
    "net": ("net", "revenue minus cost to serve"),
    "rating": ("rating", "mean rating (1-5) customers gave the step's touchpoints"),
    "conversion": ("conversion", "the share of customers at the step seen later at a step the design puts after it"),
    "cum_cost": ("cost so far", "cost to serve added up along the journey"),
    "cum_revenue": ("revenue so far", "revenue added up along the journey"),
    "cum_net": ("net so far", "net value added up along the journey"),
    "cum_unmet": ("unmet need so far", "unmet need added up along the journey"),
    "cum_experience": ("experience so far", "importance-weighted satisfaction over the steps so far"),
    "share": ("share", ""),
    "respondents": ("respondents", ""),
    "severity": ("severity", "high: the step cannot happen as designed; medium: it happens unmanaged or unmeasured; "
                             "low: the model is thin there"),
    "explanation": ("what is missing", ""),
    "title": ("gap", ""),
    "high": ("high", "gaps that stop a step from happening as designed"),
    "medium": ("medium", "gaps that leave a step unmanaged or unmeasured"),
    "low": ("low", "gaps where the model is still thin"),
    "total": ("total", ""),
    "segment": ("segment", ""),
    "top_statements": ("most underserved needs", "the segment's highest opportunities"),
    "entity": ("party", "the household or organisation the actor belongs to"),
    "job": ("job", ""),
    "performer": ("performed by", "the customer, the company or a partner"),
    "actors": ("actors", "people who take part in the step"),
    "touchpoints": ("touchpoints", "points of contact that serve the step"),
    "resources": ("resources", "what the step requires"),
    "supported_by": ("supported by", "company steps organised to help the customer at this step"),
    "kind": ("kind of element", ""),
    "count": ("count", ""),
    "source": ("from", ""),
    "target": ("to", ""),
    "median_hours": ("median hours", "median time between the two events"),
    "p90_hours": ("90th percentile hours", "nine in ten are quicker than this"),
    "activity": ("step or activity", ""),
    "cases": ("cases", ""),
    "extra_visits": ("extra visits", "returns to the step beyond the first"),
    "class": ("kind of transition", "skip: forward past designed steps; backward; unexpected: not in the design"),
    "skipped": ("steps skipped", ""),
    "case": ("case (pseudonym)", "a keyed pseudonym of the case id"),
    "transitions": ("transitions", "moves from one event to the next in the case"),
    "designed": ("as designed", "transitions the design allows"),
    "fitness": ("fitness", "the share of the case's transitions the design allows"),
    "skipped_steps": ("steps skipped", ""),
    "unexpected": ("unexpected", "transitions the design does not foresee"),
    "both_high": ("both high", "drop-off above the journey's median and an opportunity above 10"),
    "problem": ("what to rewrite", ""),
    "mean": ("mean", ""), "std": ("spread", "standard deviation"), "min": ("shortest", ""),
    "50%": ("median", ""), "90%": ("90th percentile", ""), "max": ("longest", ""),
    "nps": ("NPS", "Net Promoter Score: % promoters (9-10) minus % detractors (0-6), -100 to 100"),
    "promoters": ("promoters %", "answers of 9 or 10 of 10"),
    "passives": ("passives %", "answers of 7 or 8"),
    "detractors": ("detractors %", "answers of 0 to 6"),
    "better": ("better", "how much meeting the need raises satisfaction: (A + O) / (A + O + M + I), 0 to 1"),
    "worse": ("worse", "how much failing the need lowers satisfaction: -(O + M) / (A + O + M + I), -1 to 0"),
    "category": ("category", "the most frequent Kano answer class (letters as in the columns)"),
    "A": ("A", "attractive: delights when met, not missed when absent"),
    "O": ("O", "one-dimensional: the more the better"),
    "M": ("M", "must-be: expected, its absence hurts"),
    "I": ("I", "indifferent: neither"),
    "R": ("R", "reverse: the respondent prefers it unmet"),
    "Q": ("Q", "questionable: contradictory answers (likes it both met and unmet)"),
    # The lifetime value page (cem.clv.value_model's tables)
    "model": ("model", ""),
    "holdout_error": ("holdout error", "the model's prediction of the holdout period's total purchases (or paid "
                                       "periods) against what happened, as a share of it: + predicts too many"),
    "loglik": ("log-likelihood", "how well the model fits the records it was fitted on (higher fits better; "
                                 "comparable only between models of the same records)"),
    "fit_check": ("fit", "sound, or why the fit was flagged (its parameters ran to a boundary or along a ridge, so "
                         "the data do not pin them down): a flagged fit is never used for money"),
    "chosen": ("chosen", "the model that values the customers: the smallest holdout error among the sound fits"),
    "parameter": ("parameter", "the model's parameters, named as in its paper; experience at a step: the change in "
                               "how long customers stay per rating point there (see above)"),
    "estimate": ("estimate", "the value of the parameter that fits the records best"),
    "std_error": ("standard error", "the uncertainty of the estimate (from the curvature of the likelihood)"),
    "estimate_interval": ("95 % interval", "estimate plus or minus 1.96 standard errors"),
    "rated": ("customers who rated it", "customers with a rating of the step in the touchpoint events"),
    "below_target": ("rated below the target", "customers whose experience there is raised to the target"),
    "reduction": ("rework cut by", "the share of each customer's returns to the step taken away"),
    "rework_gain": ("value of the cut", "the change in the customer base's lifetime value when the rework falls "
                                        "by that share, where its 95 % interval stays above zero"),
    "rework_customers": ("customers with rework", "customers who went through the step again after leaving it"),
    "period": ("period", "the period of the contract, the first paid one counted 1"),
    "at_risk": ("customers at renewal", "customers who reached the renewal: paid the periods before it and then "
                                        "renewed or cancelled"),
    "observed_retention": ("renewed (observed)", "the share of the customers at the renewal who renewed"),
    "observed_survival": ("still paying (observed)", "the share of customers still under contract (Kaplan-Meier)"),
    "model_retention": ("renewed (model)", "the sBG's renewal rate"),
    "model_survival": ("still paying (model)", "the sBG's share still under contract"),
    "customer": ("customer (pseudonym)", "a keyed pseudonym of the customer id"),
    "clv": ("lifetime value", "what the customer would be worth over the horizon if kept at their last pace "
                              "(under contract: like a customer who has just signed)"),
    "p_alive": ("chance still a customer", "the model's probability that the customer still buys (under "
                                           "contract: 0 % once cancelled)"),
    "purchases": ("purchases", "purchases (under contract: paid periods) seen"),
}

#: Columns shown as percentages unless the caller says otherwise: shares of 0..1.
PERCENT_COLUMNS = ("unmet_share", "stake_share", "drop_off", "rework", "conversion", "share", "designed_share",
                   "reduction", "observed_retention", "observed_survival", "model_retention", "model_survival",
                   "p_alive")

#: Columns whose values are model ids, shown as the node's name.
ID_COLUMNS = ("step", "need_id", "actor", "touchpoint", "node", "top_need", "top_needs", "source", "target",
              "activity", "from", "to", "supported_by", "job")


def format_number(value: object, *, decimals: int | None = None, percent: bool = False, money: bool = False) -> str:
    """A number as a client reads it: thousands separators, no trailing ``.0`` on whole numbers,
    a percentage with a space, :data:`MISSING` for no value; text is left as it is.

    Examples
    --------
    >>> format_number(25200657.0), format_number(394.0), format_number(0.1234, percent=True)
    ('25,200,657', '394', '12 %')
    >>> format_number(float("nan")), format_number(None), format_number(0.5312), format_number("no effect")
    ('–', '–', '0.53', 'no effect')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, numbers.Number):
        text = str(value)
        return MISSING if text in ("", "nan", "NaN", "None", "<NA>") else text
    v = float(value)
    if not math.isfinite(v):
        return MISSING
    if percent:
        return f"{v * 100:.{0 if decimals is None else decimals}f} %"
    if money:
        return f"{v:,.{0 if decimals is None else decimals}f}"
    if decimals is not None:
        return f"{v:,.{decimals}f}"
    if v.is_integer() or abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.2f}" if abs(v) >= 1 else f"{v:.2f}" if abs(v) >= 0.01 or v == 0 else f"{v:.3g}"


def _places(values):
    """Decimals of a column of numbers: none for whole numbers or amounts of 100 and more, else two."""
    nums = [float(v) for v in values if isinstance(v, numbers.Number) and not isinstance(v, bool)
            and math.isfinite(float(v))]
    if not nums:
        return None
    return 0 if all(v.is_integer() for v in nums) or max(abs(v) for v in nums) >= 100 else 2


def _names(G):
    def name(value):
        if not isinstance(value, str):
            return value
        if value in G:
            d = G.nodes[value]
            return d.get("name") or d.get("statement") or value
        if ", " in value:
            parts = value.split(", ")
            if all(p in G for p in parts):
                return ", ".join(name(p) for p in parts)
        return value
    return name


class ClientTable:
    """A table formatted for a client (:func:`client_table`): ``data`` holds the texts shown,
    ``caption`` the explanation under it; it shows itself as HTML in a notebook.

    Examples
    --------
    >>> t = ClientTable(pd.DataFrame({"a": ["<b>"]}), "note")
    >>> "&lt;b&gt;" in t.to_html() and "<caption" in t.to_html()
    True
    """

    def __init__(self, data: pd.DataFrame, caption: str = "", align: Mapping[str, str] | None = None):
        self.data = data
        self.caption = caption
        self.align = dict(align or {})

    def to_html(self) -> str:
        """The table as HTML: every text escaped, no index, the explanation as its caption."""
        e = html.escape
        head = "".join(f'<th style="text-align:{self.align.get(c, "left")}">{e(str(c))}</th>' for c in self.data.columns)
        rows = []
        for row in self.data.itertuples(index=False):
            rows.append("<tr>" + "".join(f'<td style="text-align:{self.align.get(c, "left")}">{e(str(v))}</td>'
                                         for c, v in zip(self.data.columns, row)) + "</tr>")
        caption = (f'<caption style="caption-side:bottom;text-align:left;font-size:0.85em;color:#555">'
                   f"{e(self.caption)}</caption>" if self.caption else "")
        return (f'<table class="cem-table dataframe">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def __len__(self) -> int:
        return len(self.data)

    def to_styler(self) -> Styler:
        """The same table as a pandas Styler (no index, texts escaped, the caption under it)."""
        return (self.data.style.hide(axis="index").format(escape="html").format_index(escape="html", axis=1)
                .set_caption(html.escape(self.caption)))


def client_table(table: pd.DataFrame, graph: nx.MultiDiGraph | None = None, *,
                 columns: Iterable[str] | Mapping[str, str] | None = None, money: Iterable[str] = (),
                 percent: Iterable[str] = (), decimals: Mapping[str, int] | None = None, currency: str = "",
                 explain: Mapping[str, str] | None = None, rows: int | None = None,
                 name: str = "step") -> ClientTable:
    """A table as a client reads it.

    Parameters
    ----------
    table : pandas.DataFrame
        The analysis' table; a named index, or one of labels, becomes the first columns; row
        numbers (an unnamed integer index) are never shown.
    graph : networkx.MultiDiGraph, optional
        The model: cells holding a node id (or a ", "-list of them) in id columns (``step``,
        ``need_id``, ``top_needs``, ...) are shown as the node's name or statement.
    columns : list or dict, optional
        The columns shown, in order; a dict also gives their labels. Default: every column, labelled
        from :data:`GLOSSARY` (else the column name with spaces for underscores).
    money, percent : list of str
        Columns shown as whole amounts with thousands separators (labelled with ``currency``),
        and as percentages (besides the shares of :data:`PERCENT_COLUMNS`).
    decimals : dict, optional
        Decimals of other number columns (default: whole numbers as such, others to 2 decimals).
    explain : dict, optional
        Column -> what it means, said under the table (over :data:`GLOSSARY`'s text; "" says nothing).
    rows : int, optional
        Only the first ``rows`` rows.
    name : str
        Label of the ``name`` column (what the rows are: "step", "actor", ...).

    Returns
    -------
    ClientTable
        ``.data`` the texts shown; ``.caption`` what each column means and, when a cell is
        empty, what :data:`MISSING` stands for.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph(); G.add_node("S_permit", name="Get the permit")
    >>> t = client_table(pd.DataFrame({"step": ["S_permit"], "n": [394.0], "rating": [float("nan")]}), G)
    >>> t.data.values.tolist()
    [['Get the permit', '394', '–']]
    >>> print(t.caption)
    answers: respondents who answered. rating: mean rating (1-5) customers gave the step's touchpoints. – : no value (not measured, or the measure does not apply here).
    """
    df = table
    # A row number (an unnamed integer index, kept from a filter or not) is never shown; a named
    # index, or one of labels (a group), is a column.
    if df.index.nlevels > 1 or df.index.name is not None or not pd.api.types.is_integer_dtype(df.index):
        if df.index.nlevels == 1 and df.index.name is None:
            df = df.rename_axis("group")
        df = df.reset_index()
    df.columns = [str(c) for c in df.columns]
    if rows is not None:
        df = df.head(rows)
    if columns is not None:
        columns = ({c: v for c, v in columns.items() if c in df.columns} if isinstance(columns, Mapping)
                   else [c for c in columns if c in df.columns])
    if columns is None:
        labels = {c: GLOSSARY.get(str(c), (str(c).replace("_", " "), ""))[0] for c in df.columns}
    elif isinstance(columns, Mapping):
        labels = dict(columns)
    else:
        labels = {c: GLOSSARY.get(str(c), (str(c).replace("_", " "), ""))[0] for c in columns}
    if "name" in labels and not isinstance(columns, Mapping):
        labels["name"] = name
    money, decimals = set(money), dict(decimals or {})
    percent = set(percent) | {c for c in PERCENT_COLUMNS if c not in decimals}
    name = _names(graph) if graph is not None else None
    shown = pd.DataFrame(index=range(len(df)))
    align = {}
    notes = []
    for col, label in labels.items():
        values = df[col].tolist()
        if name is not None and (str(col) in ID_COLUMNS or col in ("name",)):
            values = [name(v) for v in values]
        if col == "stage":  # the vocabulary's keys (get_help) as words
            values = [v.replace("_", " ") if isinstance(v, str) else v for v in values]
        if col in money and currency:
            label = f"{label} ({currency})"
        if label in shown.columns:  # two columns would read the same: keep the first
            continue
        places = decimals.get(col)
        if places is None and col not in percent and col not in money:
            places = _places(values)  # one number of decimals down a column
        cells = [format_number(v, decimals=places, percent=col in percent, money=col in money) for v in values]
        shown[label] = cells
        numeric = sum(isinstance(v, numbers.Number) and not isinstance(v, bool) for v in values)
        align[label] = "right" if numeric and numeric >= len(values) / 2 else "left"
        meaning = (explain or {}).get(col, GLOSSARY.get(str(col), ("", ""))[1])
        if meaning:
            notes.append(f"{label}: {meaning}.")
    if (shown == MISSING).any().any():
        notes.append(f"{MISSING} : no value (not measured, or the measure does not apply here).")
    return ClientTable(shown, " ".join(notes), align)
