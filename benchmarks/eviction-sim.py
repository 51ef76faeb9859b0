#!/usr/bin/env python3
"""Hit ratio of eviction policies on the side-by-side workload, by simulation (no servers).

    benchmarks/eviction-sim.py [objects] [requests] [tenants] [products]

Defaults: 3,466 objects (what 4 MiB held when the budget counted bytes), 264,000 requests from cold (the
60-second run), 2 tenants x 20,000 products, Zipf 1.0 per tenant. Prints LRU, SIEVE, and SIEVE behind a
TinyLFU admission filter (count-min sketch, 4-bit counters, halved every 10 x capacity samples).
"""
import bisect
import itertools
import random
import sys
from collections import OrderedDict

capacity = int(sys.argv[1]) if len(sys.argv) > 1 else 3466
count = int(sys.argv[2]) if len(sys.argv) > 2 else 264_000
tenants = int(sys.argv[3]) if len(sys.argv) > 3 else 2
products = int(sys.argv[4]) if len(sys.argv) > 4 else 20_000

random.seed(7)
weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(products)))
requests = [
    random.randrange(tenants) * products + bisect.bisect_left(weights, random.random() * weights[-1])
    for _ in range(count)
]


class Sketch:
    SEEDS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0x27D4EB2F165667C5)

    def __init__(self, width, sample):
        self.width, self.sample, self.added = width, sample, 0
        self.rows = [[0] * width for _ in self.SEEDS]

    def _slots(self, key):
        return [((key * seed) >> 17) % self.width for seed in self.SEEDS]

    def add(self, key):
        for row, slot in zip(self.rows, self._slots(key)):
            row[slot] = min(15, row[slot] + 1)
        self.added += 1
        if self.added >= self.sample:
            self.added //= 2
            for row in self.rows:
                row[:] = [value >> 1 for value in row]

    def estimate(self, key):
        return min(row[slot] for row, slot in zip(self.rows, self._slots(key)))


def lru():
    cache, hits = OrderedDict(), 0
    for key in requests:
        if key in cache:
            cache.move_to_end(key)
            hits += 1
        else:
            cache[key] = True
            if len(cache) > capacity:
                cache.popitem(last=False)
    return hits / count


def sieve(admission=False):
    """SIEVE (FIFO queue, visited bits, a hand walking from the oldest); optionally TinyLFU admission."""
    visited, newer, older = {}, {}, {}
    oldest = newest = hand = None
    sketch = Sketch(4 * capacity, 10 * capacity) if admission else None
    hits = 0
    for key in requests:
        if sketch:
            sketch.add(key)
        if key in visited:
            visited[key] = True
            hits += 1
            continue
        if len(visited) >= capacity:
            victim = hand if hand is not None else oldest
            while visited[victim]:
                visited[victim] = False
                victim = newer[victim] if newer[victim] is not None else oldest
            if sketch and sketch.estimate(key) <= sketch.estimate(victim):
                hand = victim
                continue
            hand = newer[victim]
            before, after = older[victim], newer[victim]
            if before is None:
                oldest = after
            else:
                newer[before] = after
            if after is None:
                newest = before
            else:
                older[after] = before
            del visited[victim], newer[victim], older[victim]
        visited[key], older[key], newer[key] = False, newest, None
        if newest is not None:
            newer[newest] = key
        newest = key
        if oldest is None:
            oldest = key
    return hits / count


print(f"{capacity} objects, {count} requests, {tenants} tenants x {products} products, Zipf 1.0")
print(f"LRU                 {lru():.1%}")
print(f"SIEVE               {sieve():.1%}")
print(f"SIEVE + TinyLFU     {sieve(admission=True):.1%}")
