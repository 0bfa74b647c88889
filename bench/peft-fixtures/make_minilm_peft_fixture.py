"""Writes a real PEFT adapter for sentence-transformers/all-MiniLM-L6-v2 in the layout of
tests/LoraSdk.Models.Tests/Fixtures/peft-minilm-qv (which LoraSdk's tests write from PEFT's documented format),
plus the embeddings PEFT computes with it, so the C# side can be checked against real PEFT.

    python3 bench/peft-fixtures/make_minilm_peft_fixture.py --model path/to/all-MiniLM-L6-v2 --out out/peft-minilm-real

Needs torch, transformers, peft and a local copy of the model (no network needed). It writes
<out>/adapter_config.json, <out>/adapter_model.safetensors (float16) and <out>/expected.json
(token ids, attention mask, and the mean-pooled, L2-normalised embeddings with the adapter, in float32).
In C#: model.LoadAdapter(out, "peft"); using (model.UseAdapter("peft")) Pooling.SentenceEmbedding(...) on the
same ids must match expected.json within 1e-3 (float16 factors).
"""
import argparse
import json

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModel, AutoTokenizer

SENTENCES = ["This is an example sentence", "my card was charged twice"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="folder of sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    base = AutoModel.from_pretrained(args.model, add_pooling_layer=False)
    config = LoraConfig(
        r=4,
        lora_alpha=8,
        lora_dropout=0.1,
        target_modules=["query", "value"],
        rank_pattern={r"layer\.[45]\.attention\.self\.value": 2},
        alpha_pattern={"encoder.layer.0.attention.self.query": 16},
        init_lora_weights=False,  # random B too, so the adapter changes the output
    )
    model = get_peft_model(base, config)
    model.half()
    model.save_pretrained(args.out)  # safetensors; keys base_model.model.encoder.layer.N.attention.self.{query,value}.lora_{A,B}.weight

    model.float().eval()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        embeddings = torch.nn.functional.normalize(pooled, p=2, dim=1)
    with open(f"{args.out}/expected.json", "w") as f:
        json.dump({
            "input_ids": batch["input_ids"].tolist(),
            "attention_mask": batch["attention_mask"].tolist(),
            "embeddings": embeddings.tolist(),
        }, f)


if __name__ == "__main__":
    main()
