#!/usr/bin/env python3
"""Refuses ad-hoc formatting of amounts, and texts outside the catalogues, in the browser app's
pages and components.

    python3 scripts/check_formats.py     # exit 0 when every amount goes through app/src/format.rs
                                         # and every text through the catalogues (app/src/i18n)

Money, sats and rates are shown in the UI's language only by `app/src/format.rs` (`12.345,67 €` /
`€12,345.67`, `432.956 sat` / `432,956 sat`). In the files below, a line is refused when it
formats a `€` by hand (`format!(…€…)`), shows an amount field raw in a view (`{x.amount_eur.clone()}`,
`{sale.amount_sat}`), swaps decimal marks by hand (`.replace('.', ",")`), or appends ` sat` itself.

Texts come from one catalogue per language (`app/src/i18n/en.rs`, `it.rs`, looked up with
`t("area.name")`): a line is also refused when it writes an English/Italian pair in code
(`tr("Paid", "Pagato")`, `pick(lang, "…", "…")`, `say(lang, …)`), or picks a text by language
(`Lang::It => "…"`).
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRS = ["app/src/pages", "app/src/components", "app/src/router", "app/src/public"]

# (pattern, why)
RULES = [
    (re.compile(r'format!\([^)]*€'), "formats a € amount by hand: use format::money / format::rate"),
    (re.compile(r'\{\s*[\w.]*_(?:eur|eur_per_btc|sat|msat)(?:\.clone\(\))?\s*\}'),
     "shows an amount field raw: use format::money / format::decimal2 / format::sats"),
    (re.compile(r"\.replace\('\.',\s*\",\"\)"), "swaps decimal marks by hand: use format::money"),
    (re.compile(r'format!\("[^"]*\{[^}]*\} sat"'), "appends ` sat` by hand: use format::sats"),
    (re.compile(r'(?<![\w.])(?:tr|pick|say)\(\s*(?:lang,\s*)?(?:"|$)'),
     "writes an English/Italian pair in code: put the text in app/src/i18n/en.rs and it.rs, use t(key)"),
    (re.compile(r'Lang::(?:En|It)\s*=>\s*(?:format!\(\s*)?"[^"]*[A-Za-z]'),
     "picks a text by language: put it in app/src/i18n/en.rs and it.rs, use t(key) / text_in(lang, key)"),
]


def check(root: str) -> list[str]:
    """Every refused line under `root`, as `path:line: why`."""
    problems = []
    for d in DIRS:
        base = os.path.join(root, d)
        if not os.path.isdir(base):
            continue
        for dirpath, _, files in os.walk(base):
            for name in sorted(files):
                if not name.endswith(".rs"):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                # unit tests may spell out expected text
                code = text.split("#[cfg(test)]", 1)[0]
                for number, line in enumerate(code.splitlines(), 1):
                    if line.lstrip().startswith("//"):
                        continue
                    for pattern, why in RULES:
                        if pattern.search(line):
                            problems.append(f"{os.path.relpath(path, root)}:{number}: {why}\n    {line.strip()}")
    return problems


def main() -> int:
    root = sys.argv[1] if len(sys.argv) > 1 else ROOT
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} ad-hoc amount format(s) or text(s) outside the catalogues;"
              " see app/src/format.rs and app/src/i18n")
        return 1
    print("amounts: every page formats through app/src/format.rs; texts come from app/src/i18n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
