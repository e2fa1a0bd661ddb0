"""Only the wheel's copy of the baseline configs: pyproject.toml holds everything else.

The configs live at the top level (baselines/*.toml, beside the code that reads them, as the layout
asks); a wheel ships them inside the package as ganbench/baselines/configs/, where
ganbench.baselines.configs.baselines_dir() looks when there is no checkout around the package."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithBaselines(build_py):
    def run(self):
        super().run()
        here = Path(__file__).resolve().parent
        out = Path(self.build_lib) / "ganbench" / "baselines" / "configs"
        out.mkdir(parents=True, exist_ok=True)
        for src in sorted((here / "baselines").glob("*.toml")):
            self.copy_file(str(src), str(out / src.name))


setup(cmdclass={"build_py": BuildWithBaselines})
