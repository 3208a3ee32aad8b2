"""Where the OASIS CSAF 2.0 data lies (`../shared/data/csaf/2.0`), readable at collection time."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SHARED_DATA = Path(os.environ.get("CLEARINGHOUSE_SHARED_DATA", REPO.parent / "shared" / "data"))
CSAF_DATA = SHARED_DATA / "csaf" / "2.0"
SUITE = CSAF_DATA / "test" / "validator" / "data"
EXAMPLES = CSAF_DATA / "examples" / "csaf"
