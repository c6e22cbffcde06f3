"""The one configuration class of chain-graph (pydantic-settings).

Values come, in order of precedence, from keyword arguments, environment variables
prefixed ``CHAIN_GRAPH_`` (``CHAIN_GRAPH_HOME_ADCODE=431200``), a ``.env`` file, and the
defaults below, which are those of the analysis spec.
"""

from __future__ import annotations

import re

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_RESPONSIBLE_UNITS", "Settings"]

DEFAULT_RESPONSIBLE_UNITS: dict[str, str] = {
    "用工": "市人力资源社会保障局",
    "原材料": "市工业和信息化局",
    "物流运输": "市交通运输局",
    "资金": "市政府金融办",
    "审批": "市政务服务中心",
    "电力燃气": "国网怀化供电分公司",
    "其他": "市工业和信息化局",
}
"""Default responsible unit per problem category (the city's work plan)."""


class Settings(BaseSettings):
    """All settings of a chain-graph deployment."""

    model_config = SettingsConfigDict(
        env_prefix="CHAIN_GRAPH_",
        env_file=".env",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    store: str = Field(
        default="sqlite:///./chain_graph.db",
        description="Store URL: sqlite:///path.db (default, embedded) or neo4j://host:port.",
    )
    neo4j_user: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "CHAIN_GRAPH_NEO4J_USER")
    )
    neo4j_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("NEO4J_PASSWORD", "CHAIN_GRAPH_NEO4J_PASSWORD"),
        description="Neo4j password; unset: connect without authentication.",
    )
    neo4j_database: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NEO4J_DATABASE", "CHAIN_GRAPH_NEO4J_DATABASE"),
        description="Neo4j database name; unset: the server's default database.",
    )
    home_adcode: str = Field(default="431200", description="The home city's 6-digit adcode.")
    key_output_threshold: float = Field(
        default=20000.0, ge=0, description="万元: output at or above this makes a key enterprise."
    )
    key_tax_threshold: float = Field(
        default=500.0, ge=0, description="万元: tax at or above this makes a key enterprise."
    )
    blocked_threshold: float = Field(default=0.9, gt=0, le=1)
    capacity_target: float = Field(
        default=0.9,
        gt=0,
        le=1,
        description="The plan's target for the key enterprises' recovery (share of output).",
    )
    report_weekday: int = Field(
        default=4, ge=0, le=6, description="The weekday a reporting round ends on (0 Monday … 6 Sunday)."
    )
    targets_file: str | None = Field(
        default=None, description="The campaign's targets (targets.yaml); none: no targets."
    )
    single_source_threshold: float = Field(default=0.8, gt=0, le=1)
    local_gap_threshold: float = Field(
        default=0.3, gt=0, le=1, description="A material bought locally below this share is a 补链 gap."
    )
    substitute_top: int = Field(default=5, ge=1, le=50, description="Substitute suppliers kept per link.")
    restoration_candidates: int = Field(default=50, ge=1)
    exposure_top: int = Field(default=20, ge=1)
    incremental_limit: int = Field(
        default=1000,
        ge=0,
        description="Most firms whose own capacity changed (a status report, a small import) for which "
        "the analysis is updated through their cones instead of computed whole (0: always whole).",
    )
    whitelist_top: int = Field(
        default=30,
        ge=1,
        description="Firms the city nominates for the provinces' key supply-chain whitelist (白名单).",
    )
    substitutes_ahead_limit: int = Field(
        default=10_000,
        ge=0,
        description="Most blocked suppliers for which a worker computes every substitute ahead, in the "
        "background after each analysis, and publishes them with it (a province has about 4,400); "
        "above it, substitutes are computed when a page asks for them (0: never ahead).",
    )
    write_batch_size: int = Field(
        default=20000,
        ge=1,
        description="Rows per batched write into SQLite (executemany).",
    )
    neo4j_batch_size: int = Field(
        default=5000,
        ge=1,
        description="Rows per batch of a Neo4j import, each its own transaction (UNWIND); 5,000 wrote "
        "a province 1.4x faster than 20,000 (bench/stores.py).",
    )
    read_page_size: int = Field(
        default=20000,
        ge=1,
        description="Rows per page when a whole Neo4j store is read (Neo4jStore.load).",
    )
    neo4j_write_workers: int = Field(
        default=2,
        ge=1,
        le=16,
        description="Batches of a Neo4j import written at once, each its own transaction "
        "(env CHAIN_GRAPH_NEO4J_WRITE_WORKERS; 2 wrote a province 1.1-1.2x faster than 1 on "
        "2 cores, bench/stores.py).",
    )
    publish_results: bool = Field(
        default=True,
        description="Write each data version's analysis to the store for the other workers and "
        "processes to read instead of analysing again (chain_graph.store.results).",
    )
    keep_freed_memory: bool = Field(
        default=True,
        description="Each command but serve keeps freed memory for the next large table instead of giving "
        "it back to the kernel (glibc; chain_graph.memory): national read + validate 1.2x faster, "
        "peak memory +0.2 GiB. The web service never does (its threads would each keep their peak).",
    )
    huge_pages: bool = Field(
        default=False,
        description="Let the kernel give this process transparent huge pages (numpy and Arrow ask for them). "
        "Off: every command and the web service fault memory in 4 KiB pages (chain_graph.memory), "
        "measured faster on virtual machines (national read + validate 14.1 s -> 12.9 s).",
    )
    responsible_units: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_RESPONSIBLE_UNITS))
    auth_db: str = Field(
        default="./chain_graph_auth.db",
        description="SQLite file with the web service's users and hashed tokens.",
    )
    upload_limit_mb: float = Field(default=50.0, gt=0, description="Largest import upload (MB).")
    scenario_timeout_s: float = Field(default=30.0, gt=0, description="Time limit of a what-if (s).")
    map_physics_limit: int = Field(
        default=150, ge=1, description="Most nodes laid out by physics in the browser (quick up to here)."
    )
    map_spring_limit: int = Field(
        default=1500, ge=1, description="Most nodes laid out by a force layout on the server (physics off)."
    )
    map_aggregate_limit: int = Field(default=5000, ge=1, description="Above: grouped overview map.")
    cookie_secure: bool = Field(
        default=False,
        description="Send the login cookie over HTTPS only: set it when the service is behind a TLS proxy.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a console login lasts."
    )
    form_key: SecretStr | None = Field(
        default=None,
        description="Key that signs the console's form tokens; shared by all workers of one "
        "service (`chain-graph serve --workers N` sets it). Unset: random per process.",
    )
    coordination_ack_days: int = Field(
        default=3, ge=1, le=60, description="Working days the province has to acknowledge a request (受理)."
    )
    coordination_answer_days: int = Field(
        default=10, ge=1, le=120, description="Working days from sending a request to the province's answer."
    )
    issuing_unit: str = Field(
        default="怀化市工业和信息化局", description="The unit that signs the city's letters."
    )
    letter_prefix: str = Field(
        default="怀工信函", description="Letters are numbered <prefix>〔<year>〕<n>号, n per year from 1."
    )
    letter_contact: str = Field(default="", description="联系人 printed on the city's letters.")
    letter_phone: str = Field(default="", description="联系电话 printed on the city's letters.")
    project_other_unit: str = Field(
        default="市发展改革委", description="Responsible unit for 其他 problems of a project."
    )

    @field_validator("home_adcode")
    @classmethod
    def _six_digits(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}00", value):
            msg = f"home_adcode 必须是城市一级的 6 位行政区划代码（如 431200），当前为 {value!r}"
            raise ValueError(msg)
        return value
