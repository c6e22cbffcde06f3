"""Who sees what: the one place where the county boundary (属地) is drawn.

A :class:`Visibility` is what a caller may see of the city's data. The city bureau, the
province and read-only viewers see the whole city; a county government sees its own county.
Every use case of :mod:`application` takes one and applies it here, so that no front door
(a route, a console page, a command) filters by county itself.

The rule for a county:

- **own entities** — firms and projects whose adcode is the county's — are seen in full,
  and only they can be opened, acted on or named in a what-if;
- **direct partners** — firms that supply or buy from an own entity — appear on its maps
  and in its links, so that a county can see whom its firms depend on;
- nothing else: any other entity answers "not found", exactly as an id that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from chain_graph.errors import ConfigError, NotFoundError
from chain_graph.graph import SupplyGraph
from chain_graph.problem_ledger import LedgerItem

__all__ = ["Visibility"]

_COUNTY = re.compile(r"\d{6}")


@dataclass(frozen=True, slots=True)
class Visibility:
    """What one caller may see.

    Parameters
    ----------
    county
        The county's 6-digit adcode, or ``""`` for the whole city.

    Examples
    --------
    >>> Visibility.whole_city().sees("431228")
    True
    >>> hecheng = Visibility.of_county("431202")
    >>> hecheng.sees("431202"), hecheng.sees("431228"), hecheng.sees(None)
    (True, False, False)
    >>> hecheng.key
    '431202'
    """

    county: str = ""

    @classmethod
    def whole_city(cls) -> Visibility:
        """Everything (the city bureau, the province, viewers, the command line)."""
        return cls()

    @classmethod
    def of_county(cls, adcode: str) -> Visibility:
        """One county's own entities and their direct partners."""
        if not _COUNTY.fullmatch(adcode):
            raise ConfigError(f"县市区行政区划代码应为 6 位数字，当前为 {adcode!r}")
        return cls(county=adcode)

    @property
    def is_county(self) -> bool:
        """Whether this is a county's view (and not the whole city)."""
        return bool(self.county)

    @property
    def key(self) -> str:
        """A short key for caches: results differ between visibilities, never within one."""
        return self.county or "*"

    def sees(self, adcode: str | None) -> bool:
        """Whether an entity located in ``adcode`` is one this caller sees in full."""
        return not self.county or adcode == self.county

    def require(self, node_id: str, adcode_of: Mapping[str, str], *, what: str = "企业或项目") -> str:
        """Return ``node_id`` if it exists and is seen in full, else raise :class:`NotFoundError`.

        An entity of another county answers exactly as an id that does not exist.
        """
        if node_id not in adcode_of or not self.sees(adcode_of[node_id]):
            raise NotFoundError(f"没有编号为 {node_id} 的{what}")
        return node_id

    def rows(self, frame: pd.DataFrame, *, column: str = "adcode") -> pd.DataFrame:
        """Return the rows of ``frame`` whose ``column`` (an adcode) this caller sees in full."""
        return frame[frame[column] == self.county] if self.county else frame

    def rows_of(self, frame: pd.DataFrame, ids: pd.Series, adcode_of: Mapping[str, str]) -> pd.DataFrame:
        """Return the rows of ``frame`` whose entity (``ids``, aligned with it) this caller sees in full."""
        return frame[[adcode_of.get(i) == self.county for i in ids]] if self.county else frame

    def ids(self, ids: Iterable[str], adcode_of: Mapping[str, str]) -> list[str]:
        """Return the ids (of firms or projects) this caller sees in full, in their order."""
        return [i for i in ids if self.sees(adcode_of.get(i))] if self.county else list(ids)

    def links(self, links: pd.DataFrame, adcode_of: Mapping[str, str]) -> pd.DataFrame:
        """Return the supply links with an own entity at either end."""
        if not self.county:
            return links
        county = self.county
        mine = [
            adcode_of.get(s) == county or adcode_of.get(b) == county
            for s, b in zip(links["supplier_id"], links["buyer_id"], strict=True)
        ]
        return links[mine]

    def sees_item(
        self, item: LedgerItem, adcode_of: Mapping[str, str], *, supplies: Callable[[str, str], bool]
    ) -> bool:
        """Whether a problem-ledger item is the county's.

        One of its two entities (subject, supplier) is own, and the other is own too, or a
        direct partner of the first (a link joins them: the county may see it by name), or
        absent (an item without a supplier). An item that joins an own entity to one
        further away — a supplier two tiers up, a buyer two tiers down — would name an
        entity beyond the boundary: it is the other county's (or the city's) to see.
        ``supplies(supplier, buyer)`` says whether a link joins two entities.
        """
        if not self.county:
            return True
        subject_own = adcode_of.get(item.subject_id) == self.county
        supplier_own = adcode_of.get(item.supplier_id) == self.county
        if not (subject_own or supplier_own):
            return False
        if not item.supplier_id or (subject_own and supplier_own):
            return True
        return supplies(item.supplier_id, item.subject_id)

    def own_mask(self, graph: SupplyGraph) -> np.ndarray:
        """Boolean mask of the nodes of ``graph`` seen in full."""
        if not self.county:
            return np.ones(graph.n, dtype=bool)
        return np.asarray(graph.adcodes.astype(str) == self.county)

    def map_mask(self, graph: SupplyGraph) -> np.ndarray:
        """Boolean mask of the nodes a map may show: own entities and their direct partners."""
        mask = self.own_mask(graph)
        return graph.with_direct_partners(mask) if self.county else mask
