"""The one base of every scenario record: unknown keys are errors and records never change
after validation (so a plan cannot alter the scenario it was made from)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A scenario record: extra keys forbidden, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
