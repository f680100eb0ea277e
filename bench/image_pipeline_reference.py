#!/usr/bin/env python3
"""The Python side of bench/image-pipeline.ts: PyTorch's way of feeding a training step from a folder of JPEGs.

    python3 bench/image_pipeline_reference.py loader DIR --batch B --workers W --epochs E
        A torch.utils.data.DataLoader (W worker processes, persistent, shuffled) over an ImageFolder-style dataset
        (one subfolder per class, sorted) that decodes each JPEG with PIL and applies torchvision's training
        transform, written here with PIL and torch because this machine's torchvision wheel does not import:
        RandomResizedCrop(224) (scale 0.08-1, ratio 3/4-4/3, 10 attempts then the centre crop; PIL bilinear resize
        of the box, as torchvision does on PIL images), RandomHorizontalFlip, ToTensor, Normalize. Epoch 1 warms
        the workers up; prints one JSON line { "imagesPerSecond": [one per later epoch] }.
    python3 bench/image_pipeline_reference.py resize DIR --size S
        A PIL decode-and-resize loop over the same files (shorter side to S, centre crop S x S, RGB): what
        `pof prepare` does once. Prints { "imagesPerSecond": ... }.
    python3 bench/image_pipeline_reference.py export OUT
        ResNet-18 (torchvision's layout: 7x7 stride-2 stem, max-pool, BasicBlock [2, 2, 2, 2]) for 3x224x224 and 4
        classes, as a torch.export program (python/export_program.py); its classifier is 'fc'.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
from PIL import Image
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def image_files(directory):
    classes = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
    return [(os.path.join(directory, c, f), k) for k, c in enumerate(classes) for f in sorted(os.listdir(os.path.join(directory, c)))]


def resized_crop_box(width, height, rng):
    area = width * height
    for _ in range(10):
        target = area * rng.uniform(0.08, 1.0)
        ratio = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        w, h = int(round(math.sqrt(target * ratio))), int(round(math.sqrt(target / ratio)))
        if 0 < w <= width and 0 < h <= height:
            return rng.randint(0, width - w), rng.randint(0, height - h), w, h
    ratio = width / height
    w, h = (width, int(round(width / (4 / 3)))) if ratio > 4 / 3 else (int(round(height * (3 / 4))), height) if ratio < 3 / 4 else (width, height)
    return (width - w) // 2, (height - h) // 2, w, h


class Folder(torch.utils.data.Dataset):
    def __init__(self, directory):
        self.files = image_files(directory)
        self.mean = torch.tensor(MEAN).view(3, 1, 1)
        self.std = torch.tensor(STD).view(3, 1, 1)

    def __len__(self):
        return len(self.files)

    def __getitem__(self, i):
        path, label = self.files[i]
        rng = random.Random()
        with Image.open(path) as image:
            image = image.convert("RGB")
            left, top, w, h = resized_crop_box(image.width, image.height, rng)
            image = image.resize((224, 224), Image.BILINEAR, box=(left, top, left + w, top + h))
            if rng.random() < 0.5:
                image = image.transpose(Image.FLIP_LEFT_RIGHT)
            x = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).view(224, 224, 3).permute(2, 0, 1)
        return (x.float().div_(255) - self.mean) / self.std, label


def loader(args):
    torch.set_num_threads(1)
    data = Folder(args.dir)
    batches = torch.utils.data.DataLoader(data, batch_size=args.batch, shuffle=True, num_workers=args.workers,
                                          persistent_workers=args.workers > 0, drop_last=True)
    rates = []
    for epoch in range(args.epochs):
        start = time.perf_counter()
        seen = 0
        for x, _ in batches:
            seen += x.shape[0]
        if epoch > 0:
            rates.append(seen / (time.perf_counter() - start))
    print(json.dumps({"imagesPerSecond": rates}))


def resize(args):
    files = image_files(args.dir)
    start = time.perf_counter()
    for path, _ in files:
        with Image.open(path) as image:
            image = image.convert("RGB")
            scale = args.size / min(image.width, image.height)
            w, h = max(args.size, round(image.width * scale)), max(args.size, round(image.height * scale))
            image = image.resize((w, h), Image.BILINEAR)
            left, top = (w - args.size) // 2, (h - args.size) // 2
            image.crop((left, top, left + args.size, top + args.size)).tobytes()
    print(json.dumps({"imagesPerSecond": len(files) / (time.perf_counter() - start)}))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        blocks, width = [], 64
        for out, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [Block(width, out, stride), Block(out, out, 1)]
            width = out
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(self.layers(self.stem(x)), 1), 1))


def export(args):
    sys.path.insert(0, os.path.join(HERE, "..", "python"))
    from export_program import export as export_program
    torch.manual_seed(0)
    export_program(ResNet18(), (torch.randn(2, 3, 224, 224),), "fc", args.out)
    print(json.dumps({"pt2": args.out}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("loader")
    p.add_argument("dir")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p = sub.add_parser("resize")
    p.add_argument("dir")
    p.add_argument("--size", type=int, default=256)
    p = sub.add_parser("export")
    p.add_argument("out")
    args = parser.parse_args()
    {"loader": loader, "resize": resize, "export": export}[args.command](args)


if __name__ == "__main__":
    main()
