"""The PyTorch side of bench/LoraSdk.Bench.Encoder: the same MiniLM-shaped encoder, batch, LoRA placement,
optimizer and measurements, so the two can be compared on one machine with one thread count. The C# bench runs
this script's parts itself (interleaved with its own); by hand:

    . "$(bash ../shared/tools/pytorch-env.sh)"   # from the repository root; the team's shared/ sits beside the checkout
    python3 bench/LoraSdk.Bench.Encoder/pytorch/encoder_bench.py [part] [--threads 2 --steps 5 --runs 5 --warmup 2 --tiny]

Each part runs in a child process of its own so that each peak RSS belongs to one mode. Result fields are named
as the C# records (TrainStepBench.Result, InferenceBench.Result).
"""
import argparse
import json
import math
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, HIDDEN, LAYERS, HEADS, INTERMEDIATE, POSITIONS = 30522, 384, 6, 12, 1536, 512
BATCH, LENGTH, LABELS, RANK, ALPHA = 8, 128, 6, 8, 16
if "--tiny" in sys.argv:  # BenchShape.Tiny
    VOCAB, HIDDEN, LAYERS, HEADS, INTERMEDIATE, BATCH, LENGTH = 1000, 64, 2, 4, 128, 2, 16
ALL_LINEARS = len(sys.argv) > 1 and sys.argv[1] == "inference-all"


class LoraLinear(nn.Module):
    """A frozen Linear plus scaling * B(A(x)), PEFT's layout (A: r x in, B: out x r)."""

    def __init__(self, base):
        super().__init__()
        self.base = base
        self.lora_A = nn.Linear(base.in_features, RANK, bias=False)
        self.lora_B = nn.Linear(RANK, base.out_features, bias=False)
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.scaling = ALPHA / RANK
        self.enabled, self.merged = True, False

    def forward(self, x):
        out = self.base(x)
        if self.enabled and not self.merged:
            out = out + self.lora_B(self.lora_A(x)) * self.scaling
        return out

    @torch.no_grad()
    def merge(self):
        self.base.weight += self.lora_B.weight @ self.lora_A.weight * self.scaling
        self.merged = True


def adapted(linear):
    """LoRA on every Linear for the inference-all part (query and value are always adapted)."""
    return LoraLinear(linear) if ALL_LINEARS else linear


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = LoraLinear(nn.Linear(HIDDEN, HIDDEN))
        self.key = adapted(nn.Linear(HIDDEN, HIDDEN))
        self.value = LoraLinear(nn.Linear(HIDDEN, HIDDEN))
        self.output = adapted(nn.Linear(HIDDEN, HIDDEN))
        self.norm = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, mask):
        b, t, _ = x.shape
        split = lambda y: y.view(b, t, HEADS, -1).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(HIDDEN // HEADS) + mask
        context = F.dropout(scores.softmax(-1), 0.1, self.training) @ v
        merged = context.transpose(1, 2).reshape(b, t, HIDDEN)
        return self.norm(F.dropout(self.output(merged), 0.1, self.training) + x)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attention = Attention()
        self.intermediate = adapted(nn.Linear(HIDDEN, INTERMEDIATE))
        self.output = adapted(nn.Linear(INTERMEDIATE, HIDDEN))
        self.norm = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, mask):
        a = self.attention(x, mask)
        return self.norm(F.dropout(self.output(F.gelu(self.intermediate(a))), 0.1, self.training) + a)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(VOCAB, HIDDEN)
        self.position = nn.Embedding(POSITIONS, HIDDEN)
        self.token_type = nn.Embedding(2, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])
        self.classifier = nn.Linear(HIDDEN, LABELS)

    def forward(self, ids, mask):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.norm(self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids)))
        x = F.dropout(x, 0.1, self.training)
        additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, additive)
        keep = mask.unsqueeze(-1).float()
        pooled = (x * keep).sum(1) / keep.sum(1).clamp_min(1e-9)
        return self.classifier(F.dropout(pooled, 0.1, self.training))

    def lora_modules(self):
        return [m for m in self.modules() if isinstance(m, LoraLinear)]


def workload():
    torch.manual_seed(1)
    model = Classifier()
    ids = torch.randint(0, VOCAB, (BATCH, LENGTH))
    mask = torch.ones(BATCH, LENGTH, dtype=torch.long)
    targets = torch.randint(0, LABELS, (BATCH,))
    return model, ids, mask, targets


def timed(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def peak_rss_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def train(lora, args):
    model, ids, mask, targets = workload()
    lora_params = {id(p) for m in model.lora_modules() for p in (m.lora_A.weight, m.lora_B.weight)}
    for name, p in model.named_parameters():
        is_lora = id(p) in lora_params
        p.requires_grad = (is_lora or name.startswith("classifier.")) if lora else not is_lora
    for m in model.lora_modules():
        m.enabled = lora
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    model.train()

    last_loss = [float("nan")]

    def step():
        loss = F.cross_entropy(model(ids, mask), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        last_loss[0] = loss.item()

    times = timed(step, args.warmup, args.steps)
    return {"Mode": "LoRA" if lora else "full", "MedianStepMilliseconds": statistics.median(times),
            "TrainableParameters": sum(p.numel() for p in trainable), "PeakRssBytes": peak_rss_bytes(), "LastLoss": last_loss[0]}


def inference(args):
    model, ids, mask, _ = workload()
    model.eval()
    with torch.no_grad():
        for m in model.lora_modules():
            m.lora_B.weight.normal_(0, 0.02)

    def forward():
        with torch.no_grad():
            model(ids, mask)

    base, unmerged, merged = [], [], []
    faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        unmerged += timed(forward, args.warmup, args.runs)
        for m in model.lora_modules():
            m.enabled = False
        base += timed(forward, args.warmup, args.runs)
        for m in model.lora_modules():
            m.enabled = True
            m.merge()
        merged += timed(forward, args.warmup, args.runs)
        with torch.no_grad():
            for m in model.lora_modules():
                m.base.weight -= m.lora_B.weight @ m.lora_A.weight * m.scaling
                m.merged = False
    return {"BaseMilliseconds": statistics.median(base), "UnmergedMilliseconds": statistics.median(unmerged),
            "MergedMilliseconds": statistics.median(merged), "PeakRssBytes": peak_rss_bytes(),
            "MinorFaultsPerForward": (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before) / (3 * 3 * (args.warmup + args.runs))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("part", nargs="?")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    parts = {"train-lora": lambda: train(True, args), "train-full": lambda: train(False, args), "inference": lambda: inference(args),
             "inference-all": lambda: inference(args)}
    if args.part:
        print("result: " + json.dumps(parts[args.part]()))
        return
    results = {}
    for part in parts:
        command = [sys.executable, __file__, part, "--threads", str(args.threads), "--warmup", str(args.warmup),
                   "--steps", str(args.steps), "--runs", str(args.runs)] + (["--tiny"] if args.tiny else [])
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results[part] = json.loads(next(l for l in out.splitlines() if l.startswith("result: "))[len("result: "):])
        print(part, results[part], file=sys.stderr)
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, **results}))


if __name__ == "__main__":
    main()
