"""Writes data/sentences.txt: 1,000 sentences of mixed length for the sorted-vs-unsorted
workload, cut deterministically (seed 0) from the public-domain passages in
data/public_domain.txt (Dickens, Austen, Melville, Lincoln, the Declaration of Independence,
Genesis (KJV), Tolstoy, Carroll; all published before 1900).

Each line is a window of consecutive words that starts at a sentence start; window lengths
follow a log-normal law (median ~10 words, 2..100 words), so short and long inputs mix as
in real traffic. Run: python bench/compare/make_sentences.py (no dependencies)."""
import math
import pathlib
import random
import re

HERE = pathlib.Path(__file__).resolve().parent


def main():
    text = (HERE / "data" / "public_domain.txt").read_text(encoding="utf-8")
    words = text.split()
    # Sentence starts: the first word, and every word after one that ends a sentence.
    starts = [0] + [i + 1 for i, w in enumerate(words[:-1]) if re.search(r"[.!?;:][\"')`]?$", w)]
    rng = random.Random(0)
    lines = []
    while len(lines) < 1000:
        n = int(round(math.exp(rng.gauss(math.log(10), 0.8))))
        n = max(2, min(100, n))
        start = rng.choice(starts)
        window = words[start:start + n]
        if len(window) < n:  # wrap around the end of the text
            window += words[:n - len(window)]
        lines.append(" ".join(window))
    (HERE / "data" / "sentences.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
