"""README.md lists every action of the pack (the catalog is generated from the YAMLs)."""

from packtools.catalog import BEGIN, END, ROOT, catalog, first_sentence, readme_with_catalog


def test_readme_catalog_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert BEGIN in readme and END in readme
    assert (
        readme_with_catalog(readme, catalog()) == readme
    ), "README's action catalog is stale: run .venv/bin/python -m packtools.catalog --write"


def test_first_sentence():
    assert first_sentence("Do a thing. Then more.") == "Do a thing."
    assert first_sentence("  Multi\n  line  ") == "Multi line."
    assert first_sentence("Ends here.") == "Ends here."
