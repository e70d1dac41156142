"""How runs at once share the CPU: one adain stylize alone, beside a Gatys run, and beside a
Gatys run and a second adain (what the app allows at once on a CPU: one optimisation and two
one-pass runs, ``CONCURRENCY`` in ``stylekit/app/profile.py``), each in its own thread of one
process, as in the server.

With two cores, a run that has them both alone gets one beside another run: a fair share
is at most 2x its time alone beside one run, 3x beside two. If torch's thread pools fought
each other (more threads than cores, spinning), the slowdown would be far above that.

Usage: python bench/sharing.py [--size 512] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

import torch

import stylekit
from stylekit.examples import example_path
from stylekit.images import load_image


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    photo, painting = load_image(example_path("chelsea")), load_image(example_path("starry_night"))
    adain = stylekit.create_stylizer("adain", size=args.size)
    gatys = stylekit.create_stylizer("gatys", size=256, steps=60)
    adain.stylize(photo, painting)  # warm: weights loaded, painting measured

    def fastest() -> float:
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            adain.stylize(photo, painting)
            times.append(time.perf_counter() - start)
        return min(times)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    alone = fastest()
    print(f"adain {args.size} px alone: {alone:.2f} s")
    stop = threading.Event()

    def optimise() -> None:
        while not stop.is_set():
            gatys.stylize(photo, painting)

    background = threading.Thread(target=optimise)
    background.start()
    time.sleep(3)  # the Gatys run under way
    beside = fastest()
    print(f"beside a Gatys run: {beside:.2f} s ({beside / alone:.2f}x; a fair share: at most 2x)")
    other = threading.Thread(target=fastest)
    other.start()
    three = fastest()
    print(f"beside a Gatys run and another adain: {three:.2f} s ({three / alone:.2f}x; "
          "a fair share: at most 3x)")
    other.join()
    stop.set()
    background.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
