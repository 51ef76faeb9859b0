#!/usr/bin/env python3
"""The many-pages benchmark's workload: a storefront catalogue and the request lists that walk it.

    make-workload.py DIR [tenants] [pages per tenant] [zipf exponent] [seed]

Writes, once per parameter set (a stamp file skips the work next time):
  DIR/pages/p-<n>.html   pages of 8-30 KB (uniform), product-page-like HTML that compresses like real
                         markup (about 4-5x with gzip); every tenant serves the same files under its own
                         Host, so the catalogue is tenants x pages distinct cache objects
  DIR/fill.txt           every "host path" once, in a shuffled order (the miss path: fill the cache)
  DIR/zipf-all.txt       200,000 "host path" lines, Zipf over every page of every tenant (plain HTTP/1.1)
  DIR/zipf-one.txt       200,000 paths, Zipf over the first tenant's pages (TLS: one SNI name per client)
Popularity ranks are a seeded permutation, so the hottest pages are spread over tenants and page numbers.
"""
import bisect
import os
import random
import sys

out = sys.argv[1]
tenants = int(sys.argv[2]) if len(sys.argv) > 2 else 6
pages = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
exponent = float(sys.argv[4]) if len(sys.argv) > 4 else 0.95
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 42
samples = 200_000
stamp = os.path.join(out, f"stamp-{tenants}-{pages}-{exponent}-{seed}")
if os.path.exists(stamp):
    sys.exit(0)

rng = random.Random(seed)
os.makedirs(os.path.join(out, "pages"), exist_ok=True)
words = ("merino wool jacket trail alpine waterproof breathable seam zip pocket hood layer warm light pack "
         "coffee roast espresso bean origin single blend crema grind filter brew harbor notes chocolate citrus "
         "size colour fit return shipping review stars customer rating add cart wishlist compare stock store "
         "recycled fabric membrane insulated cuff collar sleeve adjustable durable tested mountain season").split()
classes = ["product", "gallery", "price", "details", "reviews", "related", "badge", "spec", "nav-item"]


def page(n, size):
    head = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Product {n}</title>'
            f'<link rel="stylesheet" href="/assets/site.css"><meta name="viewport" content="width=device-width">'
            f'</head><body><header class="site"><nav><a href="/">Home</a> <a href="/c/new">New</a> '
            f'<a href="/c/sale">Sale</a></nav></header><main class="product" data-id="{n}">'
            f'<h1>Product {n}</h1>')
    parts = [head]
    length = len(head)
    tail = "</main><footer>Storefront Edge benchmark page</footer></body></html>\n"
    while length < size - len(tail):
        cls = rng.choice(classes)
        text = " ".join(rng.choice(words) for _ in range(rng.randint(6, 18)))
        piece = (f'<div class="{cls}"><a href="/products/p-{rng.randrange(pages)}">{text}</a>'
                 f'<span class="price">{rng.randint(5, 400)}.{rng.randint(0, 99):02d}</span></div>\n')
        parts.append(piece)
        length += len(piece)
    body = "".join(parts)[: size - len(tail)] + tail
    return body.encode()


for n in range(pages):
    with open(os.path.join(out, "pages", f"p-{n}.html"), "wb") as f:
        f.write(page(n, rng.randint(8 * 1024, 30 * 1024)))


def host(t):
    return f"shop{t + 1}.bench.test"


def zipf_sampler(count):
    weights = [1.0 / (rank + 1) ** exponent for rank in range(count)]
    total = 0.0
    cdf = []
    for w in weights:
        total += w
        cdf.append(total)
    return lambda: bisect.bisect_left(cdf, rng.random() * total)


everything = [(t, p) for t in range(tenants) for p in range(pages)]
shuffled = everything[:]
rng.shuffle(shuffled)
with open(os.path.join(out, "fill.txt"), "w") as f:
    for t, p in shuffled:
        f.write(f"{host(t)} /products/p-{p}\n")

ranked = everything[:]
rng.shuffle(ranked)
draw = zipf_sampler(len(ranked))
with open(os.path.join(out, "zipf-all.txt"), "w") as f:
    for _ in range(samples):
        t, p = ranked[draw()]
        f.write(f"{host(t)} /products/p-{p}\n")

one = list(range(pages))
rng.shuffle(one)
draw = zipf_sampler(pages)
with open(os.path.join(out, "zipf-one.txt"), "w") as f:
    for _ in range(samples):
        f.write(f"/products/p-{one[draw()]}\n")

open(stamp, "w").close()
