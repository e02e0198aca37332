"""The OGC HTML item and items pages show a choice's title, in the page's language, where
pygeoapi would print the stored code (``historic_centre`` → «Ιστορικό κέντρο / παραδοσιακός
οικισμός»); the code stays in the cell's ``data-code`` and every JSON output stays codes.

pygeoapi renders each request's template in an environment of its own, so the vocabulary goes
into the rewritten templates themselves, as a Jinja literal generated from the catalogue.
"""
from __future__ import annotations

import json

import layers

_ITEM = "collections/items/item.html"
_ITEMS = "collections/items/index.html"

# the page's language (pygeoapi's locale: el by default, en on ?lang=en) and the collection's
# choice lists: an item names its collection in its links, the items page in its path
_HEAD = {
    _ITEM: "{% set dimos_choices = dimos_vocabulary.get((data['links'] | selectattr('rel', "
           "'equalto', 'collection') | map(attribute='href') | first | default('')).split('?')[0]"
           ".rstrip('/').split('/') | last, {}) %}",
    _ITEMS: "{% set dimos_choices = dimos_vocabulary.get(data.get('dataset_path', '')"
            ".rstrip('/').split('/') | last, {}) %}",
}
_CELLS = {
    _ITEM: ("<td>{{ render_item_value(v, 80) }}</td>",
            "<td>{% if k in dimos_choices and (v | string) in dimos_choices[k] %}"
            "<span class=\"choice\" data-code=\"{{ v }}\">{{ dimos_choices[k][v | string][dimos_lang] }}"
            "</span>{% else %}{{ render_item_value(v, 80) }}{% endif %}</td>"),
    _ITEMS: ("{{ ft.properties.get(prop, '') | string | truncate( 35 ) }}",
             "{% set dimos_value = ft.properties.get(prop, '') | string %}"
             "{% if prop in dimos_choices and dimos_value in dimos_choices[prop] %}"
             "<span class=\"choice\" data-code=\"{{ dimos_value }}\">"
             "{{ dimos_choices[prop][dimos_value][dimos_lang] }}</span>"
             "{% else %}{{ dimos_value | truncate( 35 ) }}{% endif %}"),
}


def with_choice_titles(template: str, text: str) -> str:
    """``text`` of pygeoapi's template ``template`` (a path under its templates folder) with
    choice codes shown as titles; other templates unchanged. A pygeoapi whose template no longer
    holds the cell we rewrite fails here, at start-up, rather than showing codes."""
    if template not in _CELLS:
        return text
    original, titled = _CELLS[template]
    if original not in text:
        raise RuntimeError(f"pygeoapi's {template} no longer renders a value as {original!r}")
    vocabulary = json.dumps(layers.vocabulary(), ensure_ascii=False)
    extends, _, rest = text.partition("\n")  # the {% extends %} line comes first
    head = (f"{{% set dimos_vocabulary = {vocabulary} %}}\n"
            "{% set dimos_lang = 'en' if (locale | string | lower)[:2] == 'en' else 'el' %}\n"
            f"{_HEAD[template]}\n")
    return f"{extends}\n{head}{rest.replace(original, titled)}"
