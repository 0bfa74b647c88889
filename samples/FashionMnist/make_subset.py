#!/usr/bin/env python3
"""Regenerates the Fashion-MNIST subset shipped in images/ from the full data set (standard library only).

    apt-get install dataset-fashion-mnist      # Debian/Ubuntu: /usr/share/datasets/fashion-mnist
    python3 samples/FashionMnist/make_subset.py [--source DIR] [--train-per-class 200] [--validation-per-class 50]

Training images are the first N of each class in train-images-idx3-ubyte.gz, validation images the first M of each
class in t10k-images-idx3-ubyte.gz (file order, so the subset is the same on every machine), written as 8-bit
grayscale PNGs images/<split>/<label>/<split>-<index in the source file>.png. The output folder is replaced
atomically (written next to it, then renamed).
"""
import argparse
import gzip
import os
import shutil
import struct
import zlib

LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]


def read_idx(path, magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    found, count = struct.unpack(">II", data[:8])
    if found != magic:
        raise SystemExit(f"{path}: magic number {found:#x}, expected {magic:#x}: not an IDX file of this kind")
    return count, data


def read_split(source, prefix):
    images_path = os.path.join(source, f"{prefix}-images-idx3-ubyte.gz")
    labels_path = os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz")
    count, images = read_idx(images_path, 0x803)
    label_count, labels = read_idx(labels_path, 0x801)
    rows, cols = struct.unpack(">II", images[8:16])
    if count != label_count or len(images) != 16 + count * rows * cols or len(labels) != 8 + count:
        raise SystemExit(f"{images_path}: {count} images of {rows}x{cols} do not match {label_count} labels (file truncated?)")
    for i in range(count):
        start = 16 + i * rows * cols
        yield i, labels[8 + i], rows, cols, images[start:start + rows * cols]


def png(width, height, pixels):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def write_split(source, prefix, split, per_class, root):
    taken = [0] * len(LABELS)
    for index, label, rows, cols, pixels in read_split(source, prefix):
        if taken[label] >= per_class:
            continue
        folder = os.path.join(root, split, LABELS[label])
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{split}-{index:05d}.png"), "wb") as f:
            f.write(png(cols, rows, pixels))
        taken[label] += 1
        if min(taken) >= per_class:
            break
    if min(taken) < per_class:
        raise SystemExit(f"{prefix}: only {min(taken)} images in some class, {per_class} asked for")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--output", default=os.path.join(here, "images"))
    parser.add_argument("--train-per-class", type=int, default=200)
    parser.add_argument("--validation-per-class", type=int, default=50)
    args = parser.parse_args()

    temporary = args.output.rstrip("/") + ".tmp"
    shutil.rmtree(temporary, ignore_errors=True)
    write_split(args.source, "train", "train", args.train_per_class, temporary)
    write_split(args.source, "t10k", "validation", args.validation_per_class, temporary)
    shutil.rmtree(args.output, ignore_errors=True)
    os.rename(temporary, args.output)
    print(f"wrote {args.output}: {args.train_per_class} train and {args.validation_per_class} validation images per class")


if __name__ == "__main__":
    main()
