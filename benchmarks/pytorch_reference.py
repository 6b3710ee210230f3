#!/usr/bin/env python3
"""PyTorch reference for the Swift MLP: same data, network, init, optimizer and loop.

It mirrors what the Swift worker trains so speed and accuracy can be compared side by side:

* Data: Fashion-MNIST from the four IDX .gz files (default /usr/share/datasets/fashion-mnist,
  or $FASHION_MNIST_DIR, or --data DIR), pixels / 255, flattened to 784. A seeded permutation
  holds out `val_fraction` of the 60k training images for validation; training uses the rest.
* Network: `depth` x Linear(width) + activation, then Linear(width, 10), softmax cross-entropy.
  The defaults are the seed "Model 3": 7 x 128 sigmoid, weights N(0, 0.05), biases 0, SGD with
  lr 0.01, batch 512, 3 epochs (it barely learns: test accuracy ~0.10 is expected).
* Loop: data in memory as tensors, a seeded permutation per epoch, mini-batches by index
  slicing (last partial batch kept). Only the training loop is timed; after each epoch the
  validation split and the test set are evaluated under no_grad with batch 1000.

Arguments are key=value, as for the Swift worker, plus the flags --json, --speed-only, --data DIR:
    python3 benchmarks/pytorch_reference.py activation=relu init=he_normal optimizer=adam \
        lr=0.001 epochs=3 threads=1 --json
    python3 benchmarks/pytorch_reference.py --speed-only batch_size=64 steps=200 threads=1
Progress goes to stderr; with --json one JSON object per line goes to stdout.
"""
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

DEFAULTS = dict(depth=7, width=128, activation="sigmoid", init="normal", init_std=0.05,
                optimizer="sgd", lr=0.01, batch_size=512, epochs=3, seed=42, threads=1,
                val_fraction=0.1, train_limit=0, mode="train", steps=200, warmup=10,
                data=os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
CHOICES = dict(activation=("sigmoid", "relu", "tanh"), init=("normal", "he_normal", "xavier_normal"),
               optimizer=("sgd", "adam"), mode=("train", "speed"))
ACTIVATIONS = dict(sigmoid=nn.Sigmoid, relu=nn.ReLU, tanh=nn.Tanh)


def fail(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def parse_args(argv):
    cfg, flags, args = dict(DEFAULTS), set(), list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("--json", "--speed-only"):
            flags.add(arg)
        elif arg == "--data" and args:
            cfg["data"] = args.pop(0)
        elif arg.startswith("--data="):
            cfg["data"] = arg.split("=", 1)[1]
        elif "=" in arg and not arg.startswith("-"):
            key, value = arg.split("=", 1)
            if key not in DEFAULTS:
                fail(f"unknown key '{key}' (known: {', '.join(sorted(DEFAULTS))})")
            try:
                cfg[key] = type(DEFAULTS[key])(value)
            except ValueError:
                fail(f"bad value for '{key}': {value!r}")
            if key in CHOICES and value not in CHOICES[key]:
                fail(f"'{key}' must be one of {', '.join(CHOICES[key])}, not {value!r}")
        else:
            fail(f"unexpected argument {arg!r} (use key=value, --json, --speed-only, --data DIR)")
    if "--speed-only" in flags:
        cfg["mode"] = "speed"
    if not 0 <= cfg["val_fraction"] < 1:
        fail("val_fraction must be in [0, 1)")
    return cfg, "--json" in flags


def read_idx(path, header):
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header)


def load_split(directory, prefix):
    images = read_idx(os.path.join(directory, f"{prefix}-images-idx3-ubyte.gz"), 16)
    labels = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte.gz"), 8)
    x = torch.from_numpy(images.reshape(-1, 784).astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def build_model(cfg):
    layers, fan_in = [], 784
    for _ in range(cfg["depth"]):
        layers += [nn.Linear(fan_in, cfg["width"]), ACTIVATIONS[cfg["activation"]]()]
        fan_in = cfg["width"]
    layers.append(nn.Linear(fan_in, 10))
    model = nn.Sequential(*layers)
    for layer in model:
        if isinstance(layer, nn.Linear):
            if cfg["init"] == "he_normal":
                nn.init.kaiming_normal_(layer.weight, mode="fan_in", nonlinearity="relu")
            elif cfg["init"] == "xavier_normal":
                nn.init.xavier_normal_(layer.weight)
            else:
                nn.init.normal_(layer.weight, mean=0.0, std=cfg["init_std"])
            nn.init.zeros_(layer.bias)
    return model


def make_optimizer(cfg, model):
    if cfg["optimizer"] == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    return torch.optim.SGD(model.parameters(), lr=cfg["lr"])


def train_step(model, loss_fn, optimizer, x, y):
    optimizer.zero_grad(set_to_none=True)
    logits = model(x)
    loss = loss_fn(logits, y)
    loss.backward()
    optimizer.step()
    return loss.detach(), (logits.detach().argmax(1) == y).sum()


@torch.no_grad()
def evaluate(model, loss_fn, x, y, batch=1000):
    if len(y) == 0:
        return None, None
    model.eval()
    loss_sum, correct = 0.0, 0
    for i in range(0, len(y), batch):
        logits = model(x[i:i + batch])
        loss_sum += loss_fn(logits, y[i:i + batch]).item() * len(logits)
        correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return loss_sum / len(y), correct / len(y)


def emit(as_json, obj):
    if as_json:
        print(json.dumps(obj), flush=True)


def main(argv):
    cfg, as_json = parse_args(argv)
    torch.set_num_threads(cfg["threads"])
    torch.set_num_interop_threads(cfg["threads"])
    torch.manual_seed(cfg["seed"])
    gen = torch.Generator().manual_seed(cfg["seed"])
    started = time.perf_counter()
    try:
        x_all, y_all = load_split(cfg["data"], "train")
        x_test, y_test = load_split(cfg["data"], "t10k")
    except OSError as e:
        fail(f"cannot read Fashion-MNIST from {cfg['data']}: {e}")
    order = torch.randperm(len(y_all), generator=gen)
    n_val = int(round(len(y_all) * cfg["val_fraction"]))
    val_idx, train_idx = order[:n_val], order[n_val:]
    if cfg["train_limit"] > 0:
        train_idx = train_idx[:cfg["train_limit"]]
    x_train, y_train, x_val, y_val = x_all[train_idx], y_all[train_idx], x_all[val_idx], y_all[val_idx]
    model, loss_fn, bs = build_model(cfg), nn.CrossEntropyLoss(), cfg["batch_size"]
    optimizer = make_optimizer(cfg, model)
    model.train()
    info = dict(torch=torch.__version__, threads=cfg["threads"], batch_size=bs)

    if cfg["mode"] == "speed":
        def run(steps):
            for _ in range(steps):
                idx = torch.randint(len(y_train), (bs,), generator=gen)
                train_step(model, loss_fn, optimizer, x_train[idx], y_train[idx])
        run(cfg["warmup"])
        t0 = time.perf_counter()
        run(cfg["steps"])
        seconds = time.perf_counter() - t0
        sps = cfg["steps"] * bs / seconds
        print(f"speed: {cfg['steps']} steps x {bs} in {seconds:.3f}s = {sps:,.0f} samples/s "
              f"(torch {torch.__version__}, threads={cfg['threads']})", file=sys.stderr)
        emit(as_json, dict(type="result", status="ok", mode="speed", samples_per_s=sps,
                           steps=cfg["steps"], seconds=seconds, **info))
        return

    train_seconds, samples = 0.0, 0
    for epoch in range(1, cfg["epochs"] + 1):
        model.train()
        perm = torch.randperm(len(y_train), generator=gen)
        loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.int64)
        t0 = time.perf_counter()
        for i in range(0, len(perm), bs):
            idx = perm[i:i + bs]
            loss, hits = train_step(model, loss_fn, optimizer, x_train[idx], y_train[idx])
            loss_sum += loss * len(idx)
            correct += hits
        seconds = time.perf_counter() - t0
        train_seconds += seconds
        samples += len(perm)
        train_loss, train_acc = loss_sum.item() / len(perm), correct.item() / len(perm)
        val_loss, val_acc = evaluate(model, loss_fn, x_val, y_val)
        test_loss, test_acc = evaluate(model, loss_fn, x_test, y_test)
        sps = len(perm) / seconds
        val_text = f"{val_acc:.4f}" if val_acc is not None else "n/a"
        print(f"epoch {epoch}: train_loss={train_loss:.4f} train_acc={train_acc:.4f} "
              f"val_acc={val_text} test_acc={test_acc:.4f} samples/s={sps:,.0f}", file=sys.stderr)
        emit(as_json, dict(type="epoch", epoch=epoch, train_loss=train_loss, train_acc=train_acc,
                           val_loss=val_loss, val_acc=val_acc, test_loss=test_loss,
                           test_acc=test_acc, samples_per_s=sps))
    if cfg["epochs"] == 0:
        train_loss = val_acc = None
        test_loss, test_acc = evaluate(model, loss_fn, x_test, y_test)
    emit(as_json, dict(type="result", status="ok", test_acc=test_acc, test_loss=test_loss,
                       val_acc=val_acc, train_loss=train_loss,
                       samples_per_s=samples / train_seconds if train_seconds else None,
                       epochs=cfg["epochs"], seconds=time.perf_counter() - started,
                       train_seconds=train_seconds, **info))


if __name__ == "__main__":
    main(sys.argv[1:])
