"""Run settings: where things live. Methodology (how things are scored) lives in methodology/*.yaml."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import yaml


CROSSWALK = Path("crosswalk") / "bps_kemendagri.csv"   # under data/reference/


def project_root() -> Path:
    """Return the project root: $READINESS_ROOT, else the folder holding pyproject.toml above this file."""
    if env := os.environ.get("READINESS_ROOT"):
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Paths of one pipeline instance; `data_dir` can point elsewhere (tests, benchmarks)."""

    root: Path
    data_dir: Path
    validation: dict = field(default_factory=dict)
    methodology: Path | None = None
    monte_carlo: dict = field(default_factory=dict)
    operations: dict = field(default_factory=dict)

    @classmethod
    def default(cls, data_dir: Path | str | None = None, methodology_dir: Path | str | None = None,
                **validation) -> "Settings":
        """Return settings rooted at the project, with data under `data_dir` (default: <root>/data).

        `methodology_dir` replaces <root>/methodology (to try other rules); keyword arguments override
        config/run.yaml's `validation` settings.
        """
        root = project_root()
        configured = load_yaml(root / "config" / "run.yaml")
        return cls(root=root, data_dir=Path(data_dir).resolve() if data_dir else root / "data",
                   validation={**configured["validation"], **validation},
                   methodology=Path(methodology_dir).resolve() if methodology_dir else None,
                   monte_carlo=configured.get("monte_carlo") or {},
                   operations={**(configured.get("refresh") or {}), "schedule": configured.get("schedule") or {}})

    def with_validation(self, **validation) -> "Settings":
        """Return a copy with some validation settings changed."""
        return replace(self, validation={**self.validation, **validation})

    @property
    def as_of_year(self) -> int:
        """The last plausible data year: config/run.yaml's as_of_year, else the run's calendar year."""
        return int(self.validation.get("as_of_year") or date.today().year)

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    @property
    def curated_dir(self) -> Path:
        return self.data_dir / "curated"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def validation_docs_dir(self) -> Path:
        """The GX Data Docs of the latest validation; the report copies them into each publication."""
        return self.curated_dir / "validation_docs"

    @property
    def publications_dir(self) -> Path:
        """Where each publication is built; reports_dir is a symlink to the live one."""
        return self.data_dir / "publications"

    @property
    def runs_dir(self) -> Path:
        """One JSON record per refresh run."""
        return self.data_dir / "runs"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / ".refresh.lock"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def reference_dir(self) -> Path:
        return self.root / "data" / "reference"

    @property
    def boundaries_dir(self) -> Path:
        """Where `readiness boundaries` installs the maps' boundary files (docs/report.md, "Maps"); none ships."""
        return self.data_dir / "boundaries"

    @property
    def crosswalk_path(self) -> Path:
        """Where the user installs BPS's BPS↔Kemendagri crosswalk (docs/inputs.md, "Region codes"); none ships."""
        return self.reference_dir / CROSSWALK

    @property
    def methodology_dir(self) -> Path:
        return self.methodology or self.root / "methodology"

    @property
    def expectations_dir(self) -> Path:
        return self.root / "expectations"

    @property
    def config_dir(self) -> Path:
        return self.root / "config"

    @property
    def framework_path(self) -> Path:
        """The framework (dimensions, elements, aspects) that ingest and validation read the question bank with."""
        return self.methodology_dir / "framework.yaml"

    @property
    def salt_path(self) -> Path:
        """This installation's salt for respondent hashes (pipelines.sources.pii_salt)."""
        return self.data_dir / ".pii_salt"

    @property
    def sources_dir(self) -> Path:
        """The source contracts, one config/sources/<source>.yaml per folder of data/raw/."""
        return self.config_dir / "sources"


def load_yaml(path: Path) -> dict:
    """Return the mapping stored in a YAML file, with the file named in the error if it is not one."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level, found {type(data).__name__}")
    return data
