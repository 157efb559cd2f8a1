"""``brand:`` of study.yaml: the client's logo and colours for the executive deliverable.

.. code-block:: yaml

    brand:
      logo: sunroof_logo.png          # a PNG, JPEG, GIF, WebP or SVG file in the study folder
      colours: ["#1f4e79", "#f2a900"] # primary, then accents: hex colours, at most four

Both keys are optional. A logo that is not a file in the study folder, or a colour that is not a
hex colour, is an error naming study.yaml and the key (``brand.logo``, ``brand.colours[1]``).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from .._files import inside
from ..errors import Problem, shorten
from ..schema import suggest

__all__ = ["check_brand", "BRAND_KEYS", "LOGO_TYPES"]

#: Keys of ``brand:`` -> what they hold.
BRAND_KEYS = {
    "logo": "the client's logo: a PNG, JPEG, GIF, WebP or SVG file in the study folder",
    "colours": "the client's colours, primary first: a list of up to four hex colours such as '#1f4e79'",
}

#: Logo file types a browser shows and prints: suffix -> media type.
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
              ".webp": "image/webp", ".svg": "image/svg+xml"}

_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def check_brand(value: object, file: str, locate: Callable[[tuple, str], str],
                folder: str | Path | None = None) -> tuple[dict, list[Problem]]:
    """``brand:`` of study.yaml checked: ``(clean, problems)``.

    ``clean`` holds ``logo`` (the path as written, relative to the study folder) and ``colours``
    (hex colours in lower case, ``#rrggbb``) when given and valid.

    Examples
    --------
    >>> at = lambda path, text: text
    >>> check_brand({"colours": ["#1F4E79", "#fa0"]}, "study.yaml", at)
    ({'colours': ['#1f4e79', '#ffaa00']}, [])
    >>> clean, problems = check_brand({"colours": ["blue"]}, "study.yaml", at)
    >>> str(problems[0])
    "study.yaml:brand.colours[0]: brand.colours[0] must be a hex colour such as '#1f4e79'; got 'blue'"
    """
    problems, clean = [], {}

    def bad(path, message, text=None):
        problems.append(Problem(file, locate(path, text or ".".join(map(str, path))), message))

    if value is None:
        return clean, problems
    if not isinstance(value, dict):
        bad(("brand",), "brand must be a mapping such as {logo: logo.png, colours: ['#1f4e79', '#f2a900']}; "
            f"got {shorten(repr(value), 40)}")
        return clean, problems
    for key, item in value.items():
        if key not in BRAND_KEYS:
            hint = suggest(str(key), BRAND_KEYS) or ("colours" if str(key).lower() in ("colors", "color") else None)
            bad(("brand", key), f"unknown key brand.{key}; expected {', '.join(BRAND_KEYS)}"
                + (f"; did you mean '{hint}'?" if hint else ""))
        elif key == "logo":
            logo = _check_logo(item, folder, lambda message: bad(("brand", "logo"), message))
            if logo is not None:
                clean["logo"] = logo
        else:
            colours = _check_colours(item, bad)
            if colours is not None:
                clean["colours"] = colours
    return clean, problems


def _check_logo(item, folder, bad):
    if not isinstance(item, str) or not item.strip():
        bad(f"brand.logo must be the name of an image file in the study folder; got {shorten(repr(item), 40)}")
        return None
    suffix = Path(item).suffix.lower()
    if suffix not in LOGO_TYPES:
        bad(f"brand.logo '{item}' is not an image cem can show; use a {', '.join(s[1:] for s in LOGO_TYPES)} file")
        return None
    if folder is not None:
        path = Path(folder) / item
        if not inside(path, folder):
            bad(f"brand.logo '{item}' is outside the study folder; put the file in the study folder and name it "
                "relative to it")
            return None
        if not path.is_file():
            bad(f"brand.logo '{item}' is not a file in the study folder {folder}")
            return None
    return item


def _check_colours(item, bad):
    if isinstance(item, str):
        item = [item]
    if not isinstance(item, list) or not item or len(item) > 4:
        bad(("brand", "colours"), "brand.colours must be a list of one to four hex colours, primary first, such as "
            f"['#1f4e79', '#f2a900']; got {shorten(repr(item), 40)}")
        return None
    out = []
    for i, colour in enumerate(item):
        if not isinstance(colour, str) or not _HEX.fullmatch(colour.strip()):
            bad(("brand", "colours", i), f"brand.colours[{i}] must be a hex colour such as '#1f4e79'; "
                f"got {shorten(repr(colour), 40)}", f"brand.colours[{i}]")
            return None
        colour = colour.strip().lower()
        out.append("#" + "".join(c * 2 for c in colour[1:]) if len(colour) == 4 else colour)
    return out
