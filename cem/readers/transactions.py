"""Transactions: ``transactions.csv`` and the CDNOW files read into one table of purchases.

The rules that decide what a row of transactions is live here, below the customer-base models
(:mod:`cem.clv`), so the warnings of ``cem validate`` and the models' summaries come from the
same code (as CLVTools and lifetimes practise them):

* **Refunds** (amounts below zero) are valid input. A customer's transactions of one day are
  one purchase occasion, amounts summed, so a same-day refund nets against that day's purchase;
  a refund on a day without purchases nets into the customer's previous purchase occasion (one
  with no earlier purchase is left out). An occasion that holds refunds and nets to zero or less
  is a return, not a purchase: it counts in neither frequency, recency nor spend. An occasion
  without refunds is a purchase whatever its amount (CDNOW's $0 orders count in the published
  estimates). See :func:`purchase_occasions`.
* **Too few customers**: below :data:`MIN_FIT_CUSTOMERS` customers (or
  :data:`MIN_REPEAT_CUSTOMERS` with repeat purchases; :data:`MIN_SPEND_CUSTOMERS` for
  Gamma-Gamma) the models' fits refuse, and :func:`read_transactions` warns with the same
  sentence (:func:`too_few_to_fit`).
* **Dates** with a time zone are converted to UTC; dates without one are taken as UTC. Dates
  before :data:`MIN_DATE` are refused as placeholders or typos.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._text import line_list, nfc
from ..errors import InputError, Problem
from .csv import read_csv
from .timestamps import parse_timestamps

__all__ = [
    "MAX_AMOUNT",
    "MIN_DATE",
    "MIN_FIT_CUSTOMERS",
    "MIN_REPEAT_CUSTOMERS",
    "MIN_SPEND_CUSTOMERS",
    "purchase_occasions",
    "occasion_totals",
    "customer_totals",
    "customer_codes",
    "too_few_to_fit",
    "read_transactions",
    "read_cdnow",
]

#: Larger (or infinite) amounts in transactions.csv are refused as implausible.
MAX_AMOUNT = 1e12

#: Purchases dated before this are refused: a year 0001 or 1677 is a placeholder or a typo, not a sale.
MIN_DATE = pd.Timestamp("1900-01-01")

#: BG/NBD and Pareto/NBD (four parameters each) are not fitted on fewer customers than this ...
MIN_FIT_CUSTOMERS = 20

#: ... of whom at least this many made a repeat purchase: the dropout process shows only in repeats.
MIN_REPEAT_CUSTOMERS = 5

#: Gamma-Gamma (three parameters) needs this many customers with repeat purchases and a positive spend.
MIN_SPEND_CUSTOMERS = 10


def purchase_occasions(codes: np.ndarray, period: np.ndarray, amounts: np.ndarray, n_customers: int,
                       has_amount: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Purchase occasions, one per customer and period, with refunds netted against purchases.

    The practice of the customer-base literature and its tools (CLVTools aggregates a
    customer's transactions of one day; lifetimes and Fader & Hardie's Gamma-Gamma need a
    positive spend per customer):

    * the transactions of a customer in one period are one occasion, their amounts summed, so
      a same-day refund nets against that day's purchase;
    * an occasion that nets below zero is a refund of something bought before: its amount is
      netted into the customer's previous purchase occasion (a refund with no earlier purchase
      is left out);
    * an occasion holding refunds whose net amount is zero or less is a return, not a purchase;
      an occasion without refunds is a purchase whatever its amount (CDNOW's zero-value orders
      are purchases in the published estimates).

    Parameters
    ----------
    codes : numpy.ndarray of int
        Each transaction's customer, as a code ``0 .. n_customers - 1``.
    period : numpy.ndarray of int
        Each transaction's period (day, week, ...): transactions of one period are one occasion.
    amounts : numpy.ndarray of float
    n_customers : int
    has_amount : bool
        False when there are no amounts (counts only): nothing is netted.

    Returns
    -------
    occ_c, occ_p, occ_amount : numpy arrays
        The purchase occasions' customer codes, periods and net amounts, sorted by customer and
        period.
    stats : dict
        ``refunds`` (transactions below zero), ``netted_earlier`` (refund occasions netted into
        an earlier purchase), ``unmatched`` (refunds with no earlier purchase, left out),
        ``returns`` (occasions that net to zero or less, left out), ``n_transactions`` per customer.

    Examples
    --------
    Customer 0 buys 30 on day 1 and returns 10 of it that day, buys 40 on day 8 and returns 15
    on day 10; customer 1 only refunds:

    >>> c, p, a, stats = purchase_occasions(np.array([0, 0, 0, 0, 1]), np.array([1, 1, 8, 10, 2]),
    ...                                     np.array([30.0, -10.0, 40.0, -15.0, -5.0]), 2)
    >>> c.tolist(), p.tolist(), a.tolist()
    ([0, 0], [1, 8], [20.0, 25.0])
    >>> {k: v for k, v in stats.items() if k != "n_transactions"}
    {'refunds': 3, 'netted_earlier': 1, 'unmatched': 1, 'returns': 0}
    """
    lo = period.min() if len(period) else 0
    key = codes.astype(np.int64) * (int(period.max() - lo) + 1 if len(period) else 1) + (period - lo)
    order = np.argsort(key, kind="stable")  # one combined key: cheap when the log is already ordered
    k, p, c, a = key[order], period[order], codes[order], amounts[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]]) if len(k) else np.array([], dtype=np.int64)
    occ_c, occ_p = c[starts], p[starts]
    occ_amount = np.add.reduceat(a, starts) if len(a) else np.array([])
    stats = {"refunds": 0, "netted_earlier": 0, "unmatched": 0, "returns": 0,
             "n_transactions": np.bincount(c, minlength=n_customers)}
    if not has_amount or not len(a) or not (a < 0).any():
        return occ_c, occ_p, occ_amount, stats
    stats["refunds"] = int((a < 0).sum())
    has_refund = np.minimum.reduceat(a, starts) < 0
    purchase = (occ_amount > 0) | ((occ_amount == 0) & ~has_refund)
    refund = occ_amount < 0
    # Each refund occasion's target: the last purchase occasion before it (same customer).
    last = np.maximum.accumulate(np.where(purchase, np.arange(len(purchase)), -1))
    target = last[refund]
    matched = (target >= 0) & (occ_c[np.maximum(target, 0)] == occ_c[refund])
    np.add.at(occ_amount, target[matched], occ_amount[refund][matched])
    received = np.zeros(len(purchase), dtype=bool)
    received[target[matched]] = True
    returned = purchase & (received | has_refund) & (occ_amount <= 0)
    stats.update(netted_earlier=int(matched.sum()), unmatched=int((~matched).sum()),
                 returns=int(returned.sum() + (has_refund & ~purchase & ~refund).sum()))
    keep = purchase & ~returned
    return occ_c[keep], occ_p[keep], occ_amount[keep], stats


def occasion_totals(occ_c: np.ndarray, occ_amount: np.ndarray,
                    n_customers: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per customer, from the purchase occasions (sorted by customer, as
    :func:`purchase_occasions` returns them): the counts and spend the models summarise.

    Returns
    -------
    n_occ : numpy.ndarray of int
        Purchase occasions per customer (0: no purchase).
    frequency : numpy.ndarray of int
        Repeat occasions, all but the first.
    monetary : numpy.ndarray of float
        Mean amount of the repeat occasions, 0 without repeats.
    first_idx : numpy.ndarray of int
        Position of each customer's first occasion in ``occ_c``.

    Examples
    --------
    >>> n_occ, frequency, monetary, _ = occasion_totals(np.array([0, 0, 0, 2]), np.array([5.0, 10.0, 20.0, 7.0]), 3)
    >>> n_occ.tolist(), frequency.tolist(), monetary.tolist()
    ([3, 0, 1], [2, 0, 0], [15.0, 0.0, 0.0])
    """
    first_idx = np.flatnonzero(np.r_[True, occ_c[1:] != occ_c[:-1]]) if len(occ_c) else np.array([], int)
    n_occ = np.bincount(occ_c, minlength=n_customers)
    first_amount = np.zeros(n_customers)
    if len(occ_c):
        first_amount[occ_c[first_idx]] = occ_amount[first_idx]
    total = np.bincount(occ_c, weights=occ_amount, minlength=n_customers)
    frequency = np.maximum(n_occ - 1, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, (total - first_amount) / np.maximum(frequency, 1), 0.0)
    return n_occ, frequency, monetary, first_idx


def customer_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of customer ids (``0 .. n - 1``, in order of first appearance) and the ids,
    as :func:`pandas.factorize` gives them, hashing text only when it must.

    Ids written as one prefix and a number (``C00042``, ``cust-7``), as CRM exports and
    :mod:`cem.synth` write them, are coded by their numbers: the prefix checked on every id, the
    digits read by pyarrow's vectorised cast, integers hashed. That is exact when the numbers
    identify the ids one to one: all written with the same number of digits, or none with a
    leading zero. Any other ids are hashed as text (``pd.factorize``), which costs about twice
    as much on millions of ids.

    Parameters
    ----------
    ids : pandas.Series

    Returns
    -------
    codes : numpy.ndarray of int
    uniques : pandas.Index
        The distinct ids, ``uniques[codes]`` gives ``ids`` back.

    Examples
    --------
    >>> codes, uniques = customer_codes(pd.Series(["C0042", "C0007", "C0042"], dtype="str"))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, 0], ['C0042', 'C0007'])
    """
    numbered = _prefixed_numbers(ids)
    if numbered is None:
        codes, uniques = pd.factorize(ids, sort=False)
        return codes, pd.Index(uniques)
    import pyarrow as pa
    import pyarrow.compute as pc

    prefix, width, numbers = numbered
    codes, distinct = pd.factorize(numbers, sort=False)
    digits = pc.cast(pa.array(distinct), pa.string())
    if width:
        digits = pc.utf8_lpad(digits, width=width, padding="0")
    text = pc.binary_join_element_wise(prefix, digits, "")
    return codes, pd.Index(text.to_numpy(zero_copy_only=False), dtype=ids.dtype)


def _prefixed_numbers(ids):
    """``(prefix, width or None, numbers)`` of ids written as one prefix and a number that
    identifies them one to one (see :func:`customer_codes`), else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(ids) == 0 or not isinstance(ids.dtype, pd.StringDtype):
        return None
    try:
        arr = pa.array(ids.array)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    first = arr[0].as_py()
    prefix = first.rstrip("0123456789")
    if prefix == first or not pc.all(pc.starts_with(arr, prefix)).as_py():
        return None
    rest = pc.utf8_slice_codeunits(arr, len(prefix)) if prefix else arr
    lengths = pc.min_max(pc.binary_length(rest)).as_py()
    if not lengths["min"] or lengths["max"] > 18 or not pc.all(pc.ascii_is_decimal(rest)).as_py():
        return None
    width = lengths["min"] if lengths["min"] == lengths["max"] else None
    if width is None and pc.any(pc.and_(pc.starts_with(rest, "0"),
                                        pc.greater(pc.binary_length(rest), 1))).as_py():
        return None  # "C7" and "C07" would be one number
    return prefix, width, pc.cast(rest, pa.int64()).to_numpy(zero_copy_only=False)


def customer_totals(codes: np.ndarray, period: np.ndarray, amounts: np.ndarray, n_customers: int,
                    has_amount: bool = True) -> tuple[dict, dict]:
    """Per customer: purchase occasions, first and last period, repeat spend; what :func:`cem.clv.rfm`
    and the warnings of :func:`read_transactions` summarise, with the rules of :func:`purchase_occasions`.

    Transactions may come in any order. Without refunds (no amount below zero) every occasion is
    a purchase and nothing is netted, so no occasion needs to be placed after another: one sort
    of the integer keys ``customer x period`` (values only, no permutation) gives the occasions,
    and per-customer sums are :func:`numpy.bincount` over the transactions. That is O(n) plus one
    SIMD sort of n integers, several times faster than sorting the transactions themselves. With
    refunds, the occasions are netted in order (:func:`purchase_occasions`, one stable argsort).

    Parameters
    ----------
    codes : numpy.ndarray of int
        Each transaction's customer, as a code ``0 .. n_customers - 1``.
    period : numpy.ndarray of int
        Each transaction's period (day, week, ...).
    amounts : numpy.ndarray of float
    n_customers : int
    has_amount : bool
        False when there are no amounts (counts only).

    Returns
    -------
    totals : dict of numpy.ndarray
        Each of length ``n_customers``: ``n_occ`` (purchase occasions, 0: none), ``frequency``
        (repeat occasions), ``monetary`` (mean net amount of the repeat occasions, 0 without),
        ``first`` and ``last`` (period of the first and last purchase occasion, 0 without),
        ``spend`` (net amount of all purchase occasions), ``n_transactions``.
    stats : dict
        The netting's counts, as :func:`purchase_occasions` gives them (without ``n_transactions``).

    Examples
    --------
    >>> totals, stats = customer_totals(np.array([1, 0, 0, 0]), np.array([3, 8, 1, 1]),
    ...                                 np.array([7.0, 20.0, 10.0, 5.0]), 2)
    >>> {k: v.tolist() for k, v in totals.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'n_occ': [2, 1], 'frequency': [1, 0], 'monetary': [20.0, 0.0], 'first': [1, 3], 'last': [8, 3],
     'spend': [35.0, 7.0], 'n_transactions': [3, 1]}
    """
    codes = np.asarray(codes, dtype=np.int64)
    period = np.asarray(period, dtype=np.int64)
    amounts = np.asarray(amounts, dtype=float)
    n_transactions = np.bincount(codes, minlength=n_customers)
    first = np.zeros(n_customers, dtype=np.int64)
    last = np.zeros(n_customers, dtype=np.int64)
    if has_amount and len(amounts) and (amounts < 0).any():
        occ_c, occ_p, occ_amount, stats = purchase_occasions(codes, period, amounts, n_customers)
        stats.pop("n_transactions")
        n_occ, frequency, monetary, first_idx = occasion_totals(occ_c, occ_amount, n_customers)
        spend = np.bincount(occ_c, weights=occ_amount, minlength=n_customers)
        if len(occ_c):
            first[occ_c[first_idx]] = occ_p[first_idx]
            last_idx = np.r_[first_idx[1:] - 1, len(occ_p) - 1]
            last[occ_c[last_idx]] = occ_p[last_idx]
    else:
        stats = {"refunds": 0, "netted_earlier": 0, "unmatched": 0, "returns": 0}
        n_occ = np.zeros(n_customers, dtype=np.int64)
        monetary = np.zeros(n_customers)
        spend = np.zeros(n_customers)
        if len(codes):
            lo = int(period.min())
            span = int(period.max()) - lo + 1
            # The distinct (customer, period) keys, sorted: np.sort of values is a SIMD sort, ten
            # times faster than the argsort a permutation would need (32-bit keys when they fit).
            kind = np.int32 if n_customers * span < 2**31 else np.int64
            key = codes.astype(kind)
            key *= span
            key += (period - lo).astype(kind)
            key.sort()
            occ = key[np.r_[True, key[1:] != key[:-1]]].astype(np.int64)
            # Each customer's occasions are the keys in [c * span, (c + 1) * span): their first,
            # their last and their count, by binary search rather than a division per key.
            bounds = np.searchsorted(occ, np.arange(n_customers + 1, dtype=np.int64) * span)
            n_occ = np.diff(bounds)
            some = n_occ > 0
            base = np.flatnonzero(some) * span - lo
            first[some] = occ[bounds[:-1][some]] - base
            last[some] = occ[bounds[1:][some] - 1] - base
            if has_amount:
                # Spend of the repeat occasions: every transaction after the customer's first period.
                spend = np.bincount(codes, weights=amounts, minlength=n_customers)
                repeat = period != first[codes]
                repeat_spend = np.bincount(codes[repeat], weights=amounts[repeat], minlength=n_customers)
                monetary = np.where(n_occ > 1, repeat_spend / np.maximum(n_occ - 1, 1), 0.0)
        frequency = np.maximum(n_occ - 1, 0)
    return ({"n_occ": n_occ, "frequency": frequency, "monetary": monetary, "first": first, "last": last,
             "spend": spend, "n_transactions": n_transactions}, stats)


def too_few_to_fit(summary: pd.DataFrame, frequency: str = "frequency", monetary: str = "monetary_value",
                   spend: bool = True) -> str | None:
    """Why the customer-base models cannot be estimated from these customers; None when they can.

    Below :data:`MIN_FIT_CUSTOMERS` customers (or :data:`MIN_REPEAT_CUSTOMERS` with repeat
    purchases) a fit returns parameters the data cannot pin down, so the fits refuse instead;
    with ``spend``, Gamma-Gamma's :data:`MIN_SPEND_CUSTOMERS` is checked too.

    Parameters
    ----------
    summary : pandas.DataFrame
        One row per customer with purchases (as :func:`cem.clv.rfm` gives it).
    frequency, monetary : str
        Column names of the repeat purchases and their mean value.
    spend : bool
        Check Gamma-Gamma's need too (when ``summary`` has the ``monetary`` column).

    Examples
    --------
    >>> s = pd.DataFrame({"frequency": [3], "monetary_value": [10.0]})
    >>> print(too_few_to_fit(s))
    1 customer with purchases (1 with repeat purchases): too few to fit the customer-base models, which need at least 20 customers, 5 of them with repeat purchases
    """
    x = np.asarray(summary[frequency])
    n, repeat = len(x), int((x > 0).sum())
    if n < MIN_FIT_CUSTOMERS or repeat < MIN_REPEAT_CUSTOMERS:
        return (f"{n:,} customer{'s' if n != 1 else ''} with purchases ({repeat:,} with repeat purchases): too few "
                f"to fit the customer-base models, which need at least {MIN_FIT_CUSTOMERS} customers, "
                f"{MIN_REPEAT_CUSTOMERS} of them with repeat purchases")
    if spend and monetary in summary:
        k = int(((x > 0) & (np.asarray(summary[monetary]) > 0)).sum())
        if k < MIN_SPEND_CUSTOMERS:
            return (f"{k:,} customer{'s' if k != 1 else ''} with repeat purchases of a positive value: too few to "
                    f"fit the Gamma-Gamma spend model, which needs at least {MIN_SPEND_CUSTOMERS}")
    return None


def _parse_dates(text):
    """Dates of a text column as naive UTC, and whether naive and zoned dates were mixed.

    A date with a zone (``Z``, ``+01:00``) is converted to UTC; a date without one is taken as
    UTC already. Unreadable dates are NaT.

    Examples
    --------
    >>> dates, mixed = _parse_dates(pd.Series(["2024-01-01T10:00:00+02:00", "2024-01-02"]))
    >>> [str(d) for d in dates], mixed
    (['2024-01-01 08:00:00', '2024-01-02 00:00:00'], True)
    """
    dates, zoned = parse_timestamps(text)  # the whole column at once (cem.readers.timestamps)
    dates = dates.dt.tz_localize(None)
    readable = dates.notna().to_numpy()
    mixed = bool((zoned & readable).any() and (~zoned & readable).any())
    return dates, mixed


def _amounts(text):
    """Amounts of a text column as floats, NaN where not a number.

    pyarrow's vectorised cast reads a column of plain numbers at once (pandas' ``to_numeric``
    makes a Python string of every cell first, ten times slower); a column with anything it
    does not read (a blank, a typo) is read by ``to_numeric``, which marks those cells NaN.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    stripped = text.str.strip()
    try:
        return pd.Series(pc.cast(pa.array(stripped.array), pa.float64()).to_numpy(zero_copy_only=False),
                         index=text.index)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.to_numeric(stripped, errors="coerce")


def _daily_summary(transactions):
    """What the models will see of read transactions: refund counts, and frequency and spend per
    customer with a purchase (the occasions of :func:`cem.clv.rfm` with ``freq="D"``)."""
    codes, uniques = customer_codes(transactions["customer_id"])
    day = transactions["date"].to_numpy().astype("datetime64[D]").astype(np.int64)  # days since 1970, whole
    totals, stats = customer_totals(codes, day, transactions["amount"].to_numpy(dtype=float), len(uniques))
    bought = totals["n_occ"] > 0
    stats["customers_without_purchase"] = int((~bought).sum())
    return pd.DataFrame({"frequency": totals["frequency"][bought], "monetary_value": totals["monetary"][bought]}), stats


def read_transactions(path: str | Path, customer: str = "customer_id", date: str = "date",
                      amount: str = "amount") -> tuple[pd.DataFrame, list[Problem]]:
    """Read ``transactions.csv`` (one row per purchase), refusing plainly what cannot be used.

    Dates may carry a time zone (``2024-01-01T10:00:00+02:00``, ``...Z``): they are converted to
    UTC; dates without one are taken as UTC (a warning says so when both kinds are mixed).
    Amounts below zero are refunds: they are kept, and the models net them against purchases
    (:func:`purchase_occasions`, as :func:`cem.clv.rfm` does); a warning gives the counts, the
    same the models use. Too few customers for the models (:func:`too_few_to_fit`) is a warning.

    Returns
    -------
    transactions : pandas.DataFrame
        ``customer_id`` (text, NFC), ``date`` (datetime, naive UTC), ``amount`` (float).
    warnings : list of Problem

    Raises
    ------
    InputError
        Missing columns, unreadable or implausible dates (before :data:`MIN_DATE` or in the
        future), amounts that are not numbers, blank ids.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "transactions.csv"
    >>> _ = f.write_text("customer_id,date,amount\\na,2024-01-01T01:00:00+02:00,10\\na,2024-01-02,-4\\n")
    >>> tx, warnings = read_transactions(f)
    >>> [str(d) for d in tx["date"]]
    ['2023-12-31 23:00:00', '2024-01-02 00:00:00']
    >>> print(warnings[0].message)  # doctest: +ELLIPSIS
    dates mix time zones and dates without one (...); those without are taken as UTC
    """
    file = str(path)
    table, warnings = read_csv(path, "transactions")
    missing = [c for c in (customer, date, amount) if c not in table.columns]
    if missing:
        raise InputError.single(file, f"missing column(s) {', '.join(missing)}; expected {customer}, {date}, "
                                f"{amount}; columns are {', '.join(table.columns)}", "1")
    if table.empty:
        raise InputError.single(file, "has a header but no transactions")
    problems = []
    lines = np.arange(2, len(table) + 2)

    def where(mask):
        return line_list(lines[np.asarray(mask)])

    ids = nfc(table[customer].astype(str).str.strip())
    if (ids == "").any():
        problems.append(Problem(file, where(ids == ""), f"{customer} is blank"))
    dates, mixed = _parse_dates(table[date])
    if dates.isna().any():
        sample = ", ".join(repr(v) for v in table.loc[dates.isna(), date].unique()[:3])
        problems.append(Problem(file, where(dates.isna()), f"{date} cannot be read as a date ({sample}); "
                                "write dates as YYYY-MM-DD"))
    early = dates < MIN_DATE
    if early.any():
        sample = ", ".join(repr(v) for v in table.loc[early, date].unique()[:3])
        problems.append(Problem(file, where(early), f"{date} is not a plausible purchase date ({sample}); dates "
                                f"must be from {MIN_DATE:%Y-%m-%d} on"))
    future = dates > pd.Timestamp.now() + pd.Timedelta(days=1)
    if future.any():
        sample = ", ".join(repr(v) for v in table.loc[future, date].unique()[:3])
        problems.append(Problem(file, where(future), f"{date} is in the future ({sample}); check the date format"))
    if mixed:
        warnings.append(Problem(file, "", f"{date}s mix time zones and dates without one (e.g. "
                                f"{table[date].iloc[0]!r}); those without are taken as UTC", "warning"))
    values = _amounts(table[amount])
    if values.isna().any():
        sample = ", ".join(repr(v) for v in table.loc[values.isna(), amount].unique()[:3])
        problems.append(Problem(file, where(values.isna()), f"{amount} must be a number ({sample})"))
    absurd = values.notna() & ~(values.abs() < MAX_AMOUNT)
    if absurd.any():
        sample = ", ".join(repr(v) for v in table.loc[absurd, amount].unique()[:3])
        problems.append(Problem(file, where(absurd), f"{amount} is not a plausible purchase ({sample}); amounts "
                                f"must be finite and below {MAX_AMOUNT:,.0f}"))
    if problems:
        raise InputError(problems, warnings)
    out = pd.DataFrame({"customer_id": ids, "date": dates, "amount": values.astype(float)})
    summary, said = _daily_summary(out)
    if said["refunds"]:
        negative = values < 0
        parts = [f"{said['refunds']:,} refund(s) (amounts below zero, e.g. line {where(negative).split(',')[0]}) "
                 "are netted against the same customer's purchase of that day, else their previous one"]
        if said["unmatched"]:
            parts.append(f"{said['unmatched']:,} with no earlier purchase are left out")
        if said["returns"]:
            parts.append(f"{said['returns']:,} purchase(s) netting to zero or less are returns, not purchases")
        if said["customers_without_purchase"]:
            parts.append(f"{said['customers_without_purchase']:,} customer(s) are left with no purchase")
        warnings.append(Problem(file, "", "; ".join(parts), "warning"))
    why = too_few_to_fit(summary)
    if why:
        warnings.append(Problem(file, "", why + "; the lifetime-value report will stop with this message", "warning"))
    return out, warnings


def read_cdnow(path: str | Path) -> pd.DataFrame:
    """Read a CDNOW file (master with header, or the sample without) into transactions.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, date, cds, amount``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "CDNOW_sample.txt"
    >>> _ = f.write_text("00001  1 19970101  1  11.77\\n00002  2 19970112  2  29.33\\n", encoding="ascii")
    >>> read_cdnow(f).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'customer_id': ['00001', '00002'], 'date': [Timestamp('1997-01-01 00:00:00'), Timestamp('1997-01-12 00:00:00')],
     'cds': [1, 2], 'amount': [11.77, 29.33]}
    """
    with open(path, encoding="ascii") as fh:
        first = fh.readline()
    header = "customer_id" in first
    if header:
        t = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str, "date": str})
        t = t.rename(columns={"number_of_cds": "cds", "dollar_value": "amount"})
    else:
        t = pd.read_csv(path, sep=r"\s+", header=None, names=["customer_id", "sample_id", "date", "cds", "amount"],
                        dtype={"customer_id": str, "date": str}).drop(columns="sample_id")
    t["date"] = pd.to_datetime(t["date"], format="%Y%m%d")
    return t[["customer_id", "date", "cds", "amount"]]
