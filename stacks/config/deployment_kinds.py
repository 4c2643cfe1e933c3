"""What kind of deployment an entry is: its model's kind (embeddings, speech, else chat) and its SKU's family."""

from __future__ import annotations

from facts.capacity import TPM_SKUS
from stacks.catalog import DEPLOYMENT_SKUS


def is_embedding_model(model: str) -> bool:
    """Embedding models take /embeddings, not /chat/completions (used by the plan and by `labctl smoke`)."""
    return "embedding" in model.lower()


def is_audio_model(model: str) -> bool:
    """Speech models (tts, tts-hd, gpt-4o-mini-tts; whisper and *-transcribe) take /audio/..., not chat."""
    name = model.lower()
    return name.startswith(("tts", "whisper")) or name.endswith(("-tts", "-transcribe")) or "-tts-" in name


def sku_family(sku: str) -> str | None:
    """Deployment types whose capacity means the same thing: standard, provisioned, batch, developer."""
    name = sku.lower()
    if name not in {s.lower() for s in DEPLOYMENT_SKUS}:
        return None
    if name in {s.lower() for s in TPM_SKUS}:
        return "standard"  # capacity in units of tokens per minute (facts/capacity.py)
    return next((family for family in ("provisioned", "batch", "developer") if family in name), name)
