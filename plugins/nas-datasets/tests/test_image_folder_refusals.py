"""Through the real ``nas search``: a truncated image is named before the search (every image is
decoded when the cache is built), and a class folder without images is refused, not skipped."""
import os

from .data_files import image_tree
from .searching import nas_search

EXPERIMENT = """\
output_dir: run
search_space: {name: integers}
objectives:
  - {name: val_acc, higher_is_better: true, evaluator: {name: nearest_mean, params: {dataset: {name: image_folder, params: {root: images, size: 8}}}}}
searcher: {name: sampling, params: {num_iters: 1, samples_per_iter: 2}}
"""


def _search(folder):
    (folder / "experiment.yaml").write_text(EXPERIMENT)
    return nas_search("experiment.yaml", folder, timeout=120)


def test_a_truncated_png_is_named_before_the_search(tmp_path):
    image_tree(tmp_path / "images", size=(40, 40))
    bad = tmp_path / "images" / "dog" / "1.png"
    data = bad.read_bytes()
    bad.write_bytes(data[:len(data) // 2])  # the header is intact: only decoding the pixels finds it
    done = _search(tmp_path)
    assert done.returncode == 2
    line, = done.stderr.splitlines()
    assert line.startswith("nas: error: experiment.yaml: dataset image_folder (objectives[0].evaluator.params.dataset): "
                           f"cannot decode {bad}: image file is truncated")
    assert line.endswith("; replace or remove the file")
    cache = tmp_path / "run" / "data_cache"
    assert not cache.exists() or all(e.endswith(".lock") for e in os.listdir(cache))  # no half-decoded entry
    assert not (tmp_path / "run" / "results.db").exists()


def test_an_empty_class_folder_is_refused(tmp_path):
    image_tree(tmp_path / "images")
    os.makedirs(tmp_path / "images" / "fox")
    (tmp_path / "images" / "fox" / "notes.txt").write_text("the photos are still on the camera")
    done = _search(tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "nas: error: experiment.yaml: key 'objectives[0].evaluator.params.dataset.params': dataset 'image_folder' "
        f"refused its parameters: root: class folder(s) fox of {tmp_path / 'images'} hold no images "
        "(.png, .jpg, .jpeg); add images or remove the folder(s)"]
    assert not (tmp_path / "run").exists()
