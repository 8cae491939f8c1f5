"""transformers' model for one of our configs: the one mapping from our config fields to theirs.

The parity tests, the cost model's parameter checks and ``bench/lab.py`` all build their reference
here, from a config object (nothing is downloaded). Needs torch and transformers (the parity extra).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from app.encoders.configs import EncoderConfig, Variant
from app.encoders.ops import Array

__all__ = ["hf_model"]


def hf_model(config: EncoderConfig, state: Mapping[str, Array] | None = None) -> Any:
    """The transformers ``*Model`` of ``config`` with eager attention, in eval mode.

    With ``state`` (one of our ``to_state_dict``s) its weights are loaded with ``strict=True``, so
    our key tables must be complete and exact; without, it keeps Hugging Face's random init.
    """
    import torch
    import transformers as hf

    common: dict[str, Any] = {
        "vocab_size": config.vocab_size,
        "max_position_embeddings": config.max_position_embeddings,
        "pad_token_id": config.pad_token_id,
        "attn_implementation": "eager",
    }
    if config.variant is Variant.distilbert:
        model = hf.DistilBertModel(
            hf.DistilBertConfig(
                dim=config.hidden_size,
                n_layers=config.num_hidden_layers,
                n_heads=config.num_attention_heads,
                hidden_dim=config.intermediate_size,
                activation=config.hidden_act,
                sinusoidal_pos_embds=False,
                **common,
            )
        )
    else:
        common |= {
            "hidden_size": config.hidden_size,
            "num_hidden_layers": config.num_hidden_layers,
            "num_attention_heads": config.num_attention_heads,
            "intermediate_size": config.intermediate_size,
            "hidden_act": config.hidden_act,
            "type_vocab_size": config.type_vocab_size,
            "layer_norm_eps": config.layer_norm_eps,
        }
        if config.variant is Variant.bert:
            model = hf.BertModel(hf.BertConfig(**common), add_pooling_layer=config.has_pooler)
        elif config.variant is Variant.roberta:
            model = hf.RobertaModel(hf.RobertaConfig(**common))
        elif config.variant is Variant.albert:
            albert_config = hf.AlbertConfig(
                embedding_size=config.embedding_width,
                num_hidden_groups=1,
                inner_group_num=1,
                **common,
            )
            model = hf.AlbertModel(albert_config)
        elif config.variant is Variant.deberta:
            deberta_config = hf.DebertaV2Config(  # DeBERTa-v3's choices
                relative_attention=True,
                position_buckets=config.position_buckets,
                max_relative_positions=config.max_relative_positions,
                norm_rel_ebd="layer_norm",
                share_att_key=True,
                pos_att_type=["p2c", "c2p"],
                position_biased_input=False,
                **common,
            )
            model = hf.DebertaV2Model(deberta_config)
        else:
            raise ValueError(f"no transformers reference for {config.variant!r}")
    if state is not None:
        tensors = {key: torch.from_numpy(np.array(value)) for key, value in state.items()}
        model.load_state_dict(tensors, strict=True)
    return model.eval()
