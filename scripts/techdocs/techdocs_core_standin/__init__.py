"""A local stand-in for the `techdocs-core` MkDocs plugin (mkdocs-techdocs-core, which is on PyPI only).

TechDocs' generator adds `techdocs-core` to every mkdocs.yml it builds. This plugin does the part of the real one
the portal needs: the Material theme, the Markdown extensions TechDocs pages are written with, and
`techdocs_metadata.json` (site name and description) in the built site, which the TechDocs reader shows in its
header. The generator then adds the build time and the file list to that file.

It is found through the entry point in the dist-info folder beside this package, so putting scripts/techdocs on
PYTHONPATH is the whole installation (scripts/start.sh and the end-to-end test do).
"""
import importlib.util
import json
import os

from mkdocs.plugins import BasePlugin
from mkdocs.theme import Theme

# the extensions mkdocs-techdocs-core turns on, minus the ones that need packages Debian does not ship
# (markdown_inline_graphviz, plantuml_markdown, mdx_truly_sane_lists); each is used only when importable
EXTENSIONS = [
    "admonition",
    "abbr",
    "attr_list",
    "def_list",
    "footnotes",
    "md_in_html",
    "tables",
    "toc",
    "pymdownx.caret",
    "pymdownx.critic",
    "pymdownx.details",
    "pymdownx.inlinehilite",
    "pymdownx.magiclink",
    "pymdownx.mark",
    "pymdownx.smartsymbols",
    "pymdownx.highlight",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.tasklist",
    "pymdownx.tilde",
]


def _available(extension):
    module = extension if "." in extension else "markdown.extensions." + extension
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class TechDocsCore(BasePlugin):
    def on_config(self, config):
        # Material, keeping the options of a Material theme the config sets (TechDocs' generator writes
        # `font: false` there with techdocs.generator.mkdocs.disableExternalFonts: the reader shows a page once its
        # stylesheets have loaded, and Google Fonts' never does offline)
        if config["theme"].name != "material":
            config["theme"] = Theme(name="material")
        extensions = config["markdown_extensions"]
        for extension in EXTENSIONS:
            if extension not in extensions and _available(extension):
                extensions.append(extension)
        mdx_configs = config["mdx_configs"]
        mdx_configs.setdefault("toc", {"permalink": True})
        if "pymdownx.tabbed" in extensions:
            mdx_configs.setdefault("pymdownx.tabbed", {"alternate_style": True})
        if "pymdownx.tasklist" in extensions:
            mdx_configs.setdefault("pymdownx.tasklist", {"custom_checkbox": True})
        return config

    def on_post_build(self, config):
        metadata = {
            "site_name": config["site_name"],
            "site_description": config.get("site_description") or "",
        }
        with open(os.path.join(config["site_dir"], "techdocs_metadata.json"), "w", encoding="utf-8") as f:
            json.dump(metadata, f)
