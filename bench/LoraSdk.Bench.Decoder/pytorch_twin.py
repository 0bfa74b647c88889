"""PyTorch twin of LoraSdk.Bench.Decoder's training step (PyTorch 1.13, no transformers): the same SmolLM2-135M shape,
token formula, next-token cross-entropy, AdamW lr 1e-4, LoRA r=8 alpha 16 on q_proj/v_proj (or full fine-tuning).
Written by hand from the Llama math: RMSNorm in float32, rotate_half RoPE (theta 100000), GQA (query head h reads KV
head h // (heads / kv_heads)), causal softmax attention, SwiGLU MLP, tied lm_head.

    . "$(/work/shared/tools/pytorch-env.sh)" && python3 bench/LoraSdk.Bench.Decoder/pytorch_twin.py train-lora [--tiny] [--threads 2] [--warmup 2] [--steps 5]
"""
import json, math, resource, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

args = sys.argv[1:]
part = next((a for a in args if not a.startswith("--")), "train-lora")
def option(name, default):
    return int(args[args.index(name) + 1]) if name in args else default
TINY = "--tiny" in args
HIDDEN, LAYERS, HEADS, KV_HEADS, INTER, VOCAB, BATCH, LENGTH = (64, 2, 4, 2, 128, 512, 2, 32) if TINY else (576, 30, 9, 3, 1536, 49152, 4, 256)
HEAD_DIM = HIDDEN // HEADS
torch.set_num_threads(option("--threads", 2))


class LoraLinear(nn.Module):
    def __init__(self, linear, rank=8, alpha=16):
        super().__init__()
        self.base = linear
        self.lora_A = nn.Linear(linear.in_features, rank, bias=False)
        self.lora_B = nn.Linear(rank, linear.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = alpha / rank

    def forward(self, x):
        return self.base(x) + self.lora_B(self.lora_A(x)) * self.scaling


class RmsNorm(nn.Module):
    def __init__(self, size, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        return self.weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(HIDDEN, HEADS * HEAD_DIM, bias=False)
        self.k_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.v_proj = nn.Linear(HIDDEN, KV_HEADS * HEAD_DIM, bias=False)
        self.o_proj = nn.Linear(HEADS * HEAD_DIM, HIDDEN, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.k_proj(x).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.v_proj(x).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
        v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(HEAD_DIM) + mask
        context = scores.softmax(-1) @ v
        return self.o_proj(context.transpose(1, 2).reshape(b, t, HEADS * HEAD_DIM))


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.self_attn = Attention()
        self.gate_proj = nn.Linear(HIDDEN, INTER, bias=False)
        self.up_proj = nn.Linear(HIDDEN, INTER, bias=False)
        self.down_proj = nn.Linear(INTER, HIDDEN, bias=False)
        self.input_layernorm = RmsNorm(HIDDEN)
        self.post_attention_layernorm = RmsNorm(HIDDEN)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, HIDDEN)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])
        self.norm = RmsNorm(HIDDEN)
        inv = 1.0 / (100000.0 ** (torch.arange(0, HEAD_DIM, 2).float() / HEAD_DIM))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, ids):
        t = ids.shape[1]
        freqs = torch.arange(t).float()[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((t, t), torch.finfo(torch.float32).min).triu(1)[None, None]
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x) @ self.embed_tokens.weight.t()  # tied lm_head


def run(lora, warmup, steps):
    torch.manual_seed(0)
    model = Model()
    if lora:
        for p in model.parameters():
            p.requires_grad_(False)
        for layer in model.layers:
            layer.self_attn.q_proj = LoraLinear(layer.self_attn.q_proj)
            layer.self_attn.v_proj = LoraLinear(layer.self_attn.v_proj)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    ids = torch.tensor([(i * 7919 + 13) % VOCAB for i in range(BATCH * LENGTH)], dtype=torch.int64).view(BATCH, LENGTH)
    inputs, targets = ids[:, :-1], ids[:, 1:].reshape(-1)
    model.train()
    last = [float("nan")]

    phases = {"forward": [], "backward": [], "optimizer": []}

    def step():
        clock = time.perf_counter()
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets)
        phases["forward"].append((time.perf_counter() - clock) * 1000)
        clock = time.perf_counter()
        optimizer.zero_grad()
        loss.backward()
        phases["backward"].append((time.perf_counter() - clock) * 1000)
        clock = time.perf_counter()
        optimizer.step()
        phases["optimizer"].append((time.perf_counter() - clock) * 1000)
        last[0] = loss.item()

    for _ in range(warmup):
        step()
    for values in phases.values():
        values.clear()
    times = []
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    def median_of(values):
        values = sorted(values)
        return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2
    median = median_of(times)
    return {"Mode": "LoRA r=8 (q_proj, v_proj)" if lora else "full fine-tuning", "MedianStepMilliseconds": median,
            "TrainableParameters": sum(p.numel() for p in trainable),
            "PeakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, "LastLoss": last[0],
            "MedianForwardMilliseconds": median_of(phases["forward"]), "MedianBackwardMilliseconds": median_of(phases["backward"]),
            "MedianOptimizerMilliseconds": median_of(phases["optimizer"]),
            "MinorFaultsPerStep": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before) / max(1, steps)}


if part not in ("train-lora", "train-full"):
    sys.exit("parts: train-lora, train-full")
print("result: " + json.dumps(run(part == "train-lora", option("--warmup", 2), option("--steps", 5))))
