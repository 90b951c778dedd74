"""The transformer of a training or serving row, read against one table of allowed shapes."""

from __future__ import annotations

from gigawatt.catalog import load_catalog
from gigawatt.errors import CatalogError, InputError, Problem
from gigawatt.validate.core import Range, Row
from gigawatt.workload import TransformerModel, get_model

# Allowed model shapes: each upper bound sits about an order of magnitude above the largest
# published model (GPT 1T: 128 layers, d_model 25,600, d_ff 102,400; vocabularies ~256k;
# DeepSeek-V3: 256 experts; Llama 4 Scout: 10M-token context), so every real row passes and a
# typo such as 1e20 layers is refused before the search enumerates divisors of it.
MODEL_RANGES: dict[str, Range] = {
    "n_layers": Range(1, 2**10, integer=True),
    "d_model": Range(1, 2**18, integer=True),
    "n_heads": Range(1, 2**12, integer=True),
    "n_kv_heads": Range(1, 2**12, integer=True),
    "d_ff": Range(1, 2**20, integer=True),
    "vocab_size": Range(1, 2**22, integer=True),
    "seq_len": Range(1, 2**24, integer=True),
    "moe_experts": Range(0, 2**12, integer=True),
    "moe_top_k": Range(0, 2**12, integer=True),
    "moe_d_ff": Range(1, 2**20, integer=True),
    "moe_shared_experts": Range(0, 2**12, integer=True),
    "moe_dense_layers": Range(0, 2**10, integer=True),
    "head_dim": Range(1, 2**12, integer=True),
}


def model_from_row(row: Row, seq_len: int | None = None) -> TransformerModel:
    """The model of a reference row (training, serving); shape errors name the row and field.

    ``seq_len`` overrides the row's ``seq_len`` column (serving rows give input/output lengths).
    A ``catalog_model`` column takes the shape from the catalog (shapes the columns cannot
    spell, such as multi-head latent attention), with the row's sequence length.
    """
    catalog_id = row.raw("catalog_model")
    if catalog_id:
        known = load_catalog().kind("models")
        if catalog_id not in known:
            raise row.fail(
                "catalog_model",
                f"{catalog_id!r} not in the catalog (allowed: {', '.join(sorted(known))})",
            )
        model = get_model(catalog_id)
        return model.with_(seq_len=seq_len if seq_len is not None else row.req_int("seq_len"))
    try:
        return TransformerModel(
            name=row.raw("model") or row.id,
            n_layers=row.req_int("n_layers"),
            d_model=row.req_int("d_model"),
            n_heads=row.req_int("n_heads"),
            n_kv_heads=row.int_("n_kv_heads"),
            d_ff=row.int_("d_ff"),
            ffn=row.choice("ffn", ("gelu", "swiglu"), "gelu"),  # type: ignore[arg-type]
            vocab_size=row.req_int("vocab_size"),
            seq_len=seq_len if seq_len is not None else row.req_int("seq_len"),
            moe_experts=row.int_("moe_experts", 0) or 0,
            moe_top_k=row.int_("moe_top_k", 0) or 0,
            moe_d_ff=row.int_("moe_d_ff"),
            moe_shared_experts=row.int_("moe_shared_experts", 0) or 0,
            moe_dense_layers=row.int_("moe_dense_layers", 0) or 0,
            d_head=row.int_("head_dim"),
            dropout=row.bool_("dropout"),  # blank: the family default (GELU models drop out)
        )
    except CatalogError as exc:  # shape checks of TransformerModel name only the field
        raise InputError(
            [
                Problem(row.file, f"row {row.id}: {p.field}", p.message, row.line)
                for p in exc.problems
            ]
        ) from None
