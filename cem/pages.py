"""Report pages: an executed notebook as an HTML page a client can open offline, safely.

The page carries no code cells, its images are embedded, and it loads nothing from elsewhere.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["notebook_to_html", "CSP", "csp_meta"]

#: Content security policy of every page cem writes: nothing is loaded from anywhere, no script
#: runs; images only as embedded data, styles only inline.
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; script-src 'none'; "
       "connect-src 'none'; form-action 'none'; base-uri 'none'")


def csp_meta() -> str:
    """The ``<meta>`` element that puts :data:`CSP` on a page.

    Examples
    --------
    >>> csp_meta().startswith('<meta http-equiv="Content-Security-Policy" content="default-src')
    True
    """
    return f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


def notebook_to_html(notebook_path, html_path):
    """Convert an executed notebook to HTML without code cells that opens offline."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="cem_report",
        extra_template_basedirs=[str(Path(__file__).parent / "templates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    nb = nbformat.read(str(notebook_path), as_version=4)
    body, _ = exporter.from_notebook_node(nb)
    Path(html_path).write_text(body, encoding="utf-8")
    return Path(html_path)
