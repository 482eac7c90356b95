"""Write ``imagenet_classes.json``: the 1000 ImageNet-1k class names with their synonyms.

Item ``i`` of the JSON list is the list of names of class ``i`` (the index BigGAN's class
vectors use): torchvision's short name first, then the WordNet lemmas of the class's synset
that differ from it ("tabby" -> "tabby", "tabby cat"). Nothing is downloaded at run time:
the names come from installed or downloaded packages, read as data.

* torchvision (a dependency of this plugin) ships the short names in its weights metadata.
* The synonyms come from timm's ``imagenet_synsets.txt`` (the 1000 synset ids in class order)
  and ``imagenet_synset_to_lemma.txt``, two data files inside the timm wheel. Fetch the wheel
  with the ordinary pip client and unpack those two files, without installing timm:

    pip download timm --no-deps -d /tmp/timm && cd /tmp/timm && unzip -o timm-*.whl 'timm/data/_info/*'
    python plugins/gan/sketchml_gan/data/make_imagenet_classes.py --info /tmp/timm/timm/data/_info
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def class_names(info: Path) -> list[list[str]]:
    """One list of names per ImageNet-1k class, in class-index order."""
    from torchvision.models import ResNet50_Weights

    short = list(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])
    synsets = (info / "imagenet_synsets.txt").read_text().split()
    lemmas = {}
    for line in (info / "imagenet_synset_to_lemma.txt").read_text().splitlines():
        wnid, _, names = line.partition("\t")
        lemmas[wnid] = [name.strip() for name in names.split(",") if name.strip()]
    if len(short) != 1000 or len(synsets) != 1000:
        raise SystemExit(f"expected 1000 classes, got {len(short)} names and {len(synsets)} synsets")
    out = []
    for name, wnid in zip(short, synsets):
        names = [name]
        for lemma in lemmas[wnid]:
            if lemma.lower() not in (n.lower() for n in names):
                names.append(lemma)
        out.append(names)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--info", type=Path, required=True, help="timm's data/_info folder")
    parser.add_argument("--out", type=Path, default=HERE / "imagenet_classes.json")
    args = parser.parse_args()
    # One class per line: the file reads (and diffs) as a numbered list of names.
    rows = (json.dumps(names, ensure_ascii=False) for names in class_names(args.info))
    text = "[\n" + ",\n".join(rows) + "\n]\n"
    handle, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
