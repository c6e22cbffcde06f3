"""SVG drawings as PNG images, for the documents that cannot hold SVG (Word, Excel).

Rendered by CairoSVG over the system's cairo. Cairo's font lookup takes one family name, so
the drawing's CSS family list (Microsoft YaHei, PingFang SC, … — the fonts of the officials'
PCs, which a server rarely has) is replaced by the CJK family fontconfig finds on this
machine (``fc-match :lang=zh-cn``); without fontconfig, ``sans-serif``.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

__all__ = ["cjk_family", "svg_png"]

_FAMILY = re.compile(r'font-family="[^"]*"')


@functools.cache
def cjk_family() -> str:
    """Return the name of an installed font family with Chinese glyphs (``sans-serif`` if none is known)."""
    found = shutil.which("fc-match")
    if found is None:
        return "sans-serif"
    try:
        answer = subprocess.run(
            [found, "-f", "%{family[0]}", ":lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "sans-serif"
    return answer.stdout.strip() or "sans-serif"


def svg_png(svg: str, *, width: int) -> bytes:
    r"""Return ``svg`` rendered as a PNG ``width`` pixels wide (its height in proportion).

    Examples
    --------
    >>> png = svg_png('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 20">'
    ...               '<text x="2" y="15" font-family="PingFang SC">鹤城</text></svg>', width=80)
    >>> png[:8] == b"\x89PNG\r\n\x1a\n"
    True
    """
    import cairosvg

    family = cjk_family().replace('"', "")
    text = _FAMILY.sub(f'font-family="{family}"', svg)
    png: bytes = cairosvg.svg2png(bytestring=text.encode("utf-8"), output_width=width)
    return png
