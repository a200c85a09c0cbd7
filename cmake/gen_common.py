"""What the build's code generators share (rtl/classifier/util/gen_contract.py,
model/card/util/gen_card_map.py)."""
import os


def write(path, text):
    """Writes text to path unless it already holds exactly that: an unchanged generated file
    keeps its time stamp, so a re-configure rebuilds nothing that includes it."""
    if path is None:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w") as f:
        f.write(text)
