"""The scenario schema in one place: ``Strict``, the one base of every scenario record
(unknown keys are errors; records never change after validation, so a plan cannot alter the
scenario it was made from), and one module per section: ``serving``, ``supply``,
``facility``, ``reliability``, ``economics``. ``gigawatt.scenario`` holds the top-level
record and the loader; the stage modules import their section from here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A scenario record: extra keys forbidden, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
