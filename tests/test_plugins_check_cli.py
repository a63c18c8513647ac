"""`nas plugins check NAME` imports a plugin's lazy components and names the one whose method
overrides without @overrides (a bug in the plugin's code, not in its install)."""
from __future__ import annotations

from support import TOY_EXPERIMENT, make_dist, run_nas

NO_DECORATOR = """\
from overrides import overrides

import toy


class ForgetfulSpace(toy.ToySpace):
    def mutate(self, arch):  # no @overrides
        return toy._model(toy.value_of(arch))
"""
PLUGIN = """\
from nas_kernel import hookimpl


@hookimpl
def register_search_spaces(register):
    register("forgetful", "fake_forgetful_space:ForgetfulSpace")  # lazy: imported when built or checked
"""


def test_a_method_without_overrides_is_named_with_its_class(tmp_path):
    site = make_dist(tmp_path / "site", "nas-forgetful", "0.1.0", {"forgetful": "fake_forgetful"},
                     {"fake_forgetful": PLUGIN,
                      "fake_forgetful_space": NO_DECORATOR})
    env = {"NAS_LOAD_PLUGINS": "nas-forgetful,nas-toy"}
    make_dist(tmp_path / "site", "nas-toy", "0.1.0", {"toy": "toy"}, {})
    listed = run_nas(["plugins", "list"], pythonpath=[site], env_extra=env)
    assert listed.returncode == 0 and "forgetful" in listed.stdout

    checked = run_nas(["plugins", "check", "forgetful"], pythonpath=[site], env_extra=env)
    assert checked.returncode == 1
    assert "fake_forgetful_space.ForgetfulSpace: method mutate overrides ToySpace.mutate without " \
           "@overrides; this is a bug in the plugin's code (decorate it: from overrides import overrides)" \
           in checked.stdout
    assert checked.stdout.splitlines()[-1] == "forgetful: 1 component, 1 failing."

    path = tmp_path / "exp.yaml"
    path.write_text(TOY_EXPERIMENT.format(out=tmp_path / "run").replace("{{name: toy}}", "{{name: forgetful}}")
                    .replace("{name: toy}", "{name: forgetful}"))
    searched = run_nas(["search", str(path), "-q"], pythonpath=[site], env_extra=env)
    assert searched.returncode == 2
    assert "force-reinstall" not in searched.stderr
    assert searched.stderr.rstrip().endswith("This is a bug in the plugin's code; `nas plugins check forgetful` "
                                             "names it.")

    unknown = run_nas(["plugins", "check", "nope"], pythonpath=[site], env_extra=env)
    assert (unknown.returncode, unknown.stderr.strip()) == (
        2, "nas: error: no plugin named 'nope'; 'nas plugins list' shows the installed ones")
